package sigmabridge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.opensearch.common.settings.Settings;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.painless.PainlessScriptEngine;
import org.opensearch.painless.spi.Whitelist;
import org.opensearch.script.ScriptContext;
import org.opensearch.script.ScriptedMetricAggContexts;

/**
 * Compiles the four scripts of a scripted_metric aggregation with the Painless compiler and
 * runs its reduce script, for backends/elasticsearch/dsl/painless_test.go.
 *
 * Reads one JSON document on stdin: {"init": S, "map": S, "combine": S, "reduce": S, "runs":
 * [{"params": {...}, "states": [...]}, ...]} and prints {"results": [{"value": V} or {"error":
 * E}, ...]}, or {"error": E} when a script does not compile.
 */
public final class PainlessCheck {
    public static void main(String[] args) throws IOException {
        Map<String, Object> in = XContentHelper.convertToMap(JsonXContent.jsonXContent, readAll(System.in), true);
        Map<ScriptContext<?>, List<Whitelist>> contexts = new HashMap<>();
        contexts.put(ScriptedMetricAggContexts.InitScript.CONTEXT, Whitelist.BASE_WHITELISTS);
        contexts.put(ScriptedMetricAggContexts.MapScript.CONTEXT, Whitelist.BASE_WHITELISTS);
        contexts.put(ScriptedMetricAggContexts.CombineScript.CONTEXT, Whitelist.BASE_WHITELISTS);
        contexts.put(ScriptedMetricAggContexts.ReduceScript.CONTEXT, Whitelist.BASE_WHITELISTS);
        PainlessScriptEngine engine = new PainlessScriptEngine(Settings.EMPTY, contexts);
        StringBuilder out = new StringBuilder();
        ScriptedMetricAggContexts.ReduceScript.Factory reduce = null;
        String compiling = "init";
        try {
            engine.compile("init", (String) in.get("init"), ScriptedMetricAggContexts.InitScript.CONTEXT, Map.of());
            compiling = "map";
            engine.compile("map", (String) in.get("map"), ScriptedMetricAggContexts.MapScript.CONTEXT, Map.of());
            compiling = "combine";
            engine.compile("combine", (String) in.get("combine"), ScriptedMetricAggContexts.CombineScript.CONTEXT, Map.of());
            compiling = "reduce";
            reduce = engine.compile("reduce", (String) in.get("reduce"), ScriptedMetricAggContexts.ReduceScript.CONTEXT, Map.of());
        } catch (RuntimeException e) {
            json(out, Map.of("error", compiling + " script: " + describe(e)));
            System.out.println(out);
            return;
        }
        List<Object> results = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> runs = (List<Map<String, Object>>) in.get("runs");
        for (Map<String, Object> run : runs) {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> params = (Map<String, Object>) run.get("params");
                @SuppressWarnings("unchecked")
                List<Object> states = (List<Object>) run.get("states");
                results.add(Map.of("value", reduce.newInstance(params, states).execute()));
            } catch (RuntimeException e) {
                results.add(Map.of("error", describe(e)));
            }
        }
        json(out, Map.of("results", results));
        System.out.println(out);
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (b.length() > 0) {
                b.append(": ");
            }
            b.append(c.getClass().getSimpleName()).append(' ').append(c.getMessage());
            if (c instanceof org.opensearch.script.ScriptException) {
                b.append(' ').append(((org.opensearch.script.ScriptException) c).getScriptStack());
            }
        }
        return b.toString();
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** Writes maps, lists, strings, numbers, booleans and null as JSON. */
    private static void json(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                json(b, String.valueOf(e.getKey()));
                b.append(':');
                json(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List) {
            b.append('[');
            boolean first = true;
            for (Object x : (List<?>) v) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                json(b, x);
            }
            b.append(']');
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else {
            String s = v.toString();
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c < 0x20) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            b.append('"');
        }
    }
}
