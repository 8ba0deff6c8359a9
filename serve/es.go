package serve

import (
	"context"
	"net/http"
)

func (s *Server) es(ctx context.Context, r *http.Request) (any, error) {
	if s.cfg.ES == nil {
		return nil, &apiError{Status: http.StatusNotFound, Message: "no Elasticsearch node: start serve with --es URL"}
	}
	return nil, &apiError{Status: http.StatusNotImplemented, Message: "not yet"}
}
