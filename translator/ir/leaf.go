package ir

// Leaf is a node that tests an event: every node but And, Or and Not. Each leaf type carries
// its field and position itself, so a pass over leaves (field mapping, positions) needs no
// switch over the leaf types that could silently miss a new one.
type Leaf interface {
	Node
	// LeafField is the field the leaf reads; "" for a Keyword, which reads every field.
	LeafField() string
	// LeafPos is the source position the leaf was lowered from.
	LeafPos() Pos
	// WithField returns a copy of the leaf reading field f; a Keyword is returned as is.
	WithField(f string) Leaf
	// WithPos returns a copy of the leaf at position p.
	WithPos(p Pos) Leaf
}

func (n *Match) LeafField() string       { return n.Field }
func (n *Match) LeafPos() Pos            { return n.Pos }
func (n *Match) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *Match) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *Keyword) LeafField() string     { return "" }
func (n *Keyword) LeafPos() Pos          { return n.Pos }
func (n *Keyword) WithField(string) Leaf { return n }
func (n *Keyword) WithPos(p Pos) Leaf    { c := *n; c.Pos = p; return &c }

func (n *Regex) LeafField() string       { return n.Field }
func (n *Regex) LeafPos() Pos            { return n.Pos }
func (n *Regex) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *Regex) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *CIDR) LeafField() string       { return n.Field }
func (n *CIDR) LeafPos() Pos            { return n.Pos }
func (n *CIDR) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *CIDR) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *Compare) LeafField() string       { return n.Field }
func (n *Compare) LeafPos() Pos            { return n.Pos }
func (n *Compare) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *Compare) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *Exists) LeafField() string       { return n.Field }
func (n *Exists) LeafPos() Pos            { return n.Pos }
func (n *Exists) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *Exists) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *Null) LeafField() string       { return n.Field }
func (n *Null) LeafPos() Pos            { return n.Pos }
func (n *Null) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *Null) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *FieldRef) LeafField() string       { return n.Field }
func (n *FieldRef) LeafPos() Pos            { return n.Pos }
func (n *FieldRef) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *FieldRef) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

func (n *TimePart) LeafField() string       { return n.Field }
func (n *TimePart) LeafPos() Pos            { return n.Pos }
func (n *TimePart) WithField(f string) Leaf { c := *n; c.Field = f; return &c }
func (n *TimePart) WithPos(p Pos) Leaf      { c := *n; c.Pos = p; return &c }

// The leaf types, checked at compile time.
var _ = []Leaf{(*Match)(nil), (*Keyword)(nil), (*Regex)(nil), (*CIDR)(nil), (*Compare)(nil),
	(*Exists)(nil), (*Null)(nil), (*FieldRef)(nil), (*TimePart)(nil)}
