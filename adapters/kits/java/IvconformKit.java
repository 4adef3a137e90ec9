import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The ivconform adapter kit for Java (JDK only: javac/java 17, com.sun.net.httpserver): the protocol loop of
 * docs/PROTOCOL.md over stdio or HTTP, so that you write only the callbacks
 *
 * <pre>
 *   String sign(byte[] secret, Object userId, String email)
 *   Map&lt;String, Object&gt; verify(Map&lt;String, Object&gt; config, String platform, byte[] payload, Long now)
 * </pre>
 *
 * {@code sign} gets the secret's raw bytes, {@code userId} as sent (a String, a BigInteger holding the integer
 * exactly, or null when absent or null) and {@code email} (a String or null). It returns the 64-hex user_hash,
 * "error:CLASS" for a refusal, or null when it produced no hash. {@code verify} returns the verify answer
 * without type/seq (JSON objects are Maps, arrays Lists, integers BigInteger, other numbers BigDecimal). An
 * exception becomes a protocol {@code error} answer naming it.
 *
 * <p>The JDK has no JSON library, so this file carries a small one ({@link Json}): a recursive-descent parser
 * bounded in depth (64) and fed at most 16 MiB per request, and a writer for the answers. It is written for
 * the harness's requests (RFC 8259 JSON), not as a general-purpose or strict validator.
 *
 * <pre>
 *   IvconformKit.serve(args, new IvconformKit.Options("acme").sign(Example::sign).limits(Map.of("secret", "text")));
 * </pre>
 *
 * {@code serve} reads {@code --http HOST:PORT} from the arguments (default: stdio). System.out goes to stderr:
 * stdout carries only the protocol.
 */
public final class IvconformKit {
    /** At most this many bytes per request (they carry up to a few MiB: the 1 MiB payload case, in hex). */
    public static final int MAX_REQUEST_BYTES = 16 << 20;

    private IvconformKit() {}

    /** The signing callback. */
    @FunctionalInterface
    public interface Signer {
        /** The 64-hex user_hash, "error:CLASS", or null for no hash. */
        String sign(byte[] secret, Object userId, String email) throws Exception;
    }

    /** The verifying callback. */
    @FunctionalInterface
    public interface Verifier {
        /** The verify answer without type/seq, e.g. {@code Map.of("result", "accept", "as", "visitor")}. */
        Map<String, Object> verify(Map<String, Object> config, String platform, byte[] payload, Long now)
                throws Exception;
    }

    /** The callbacks and what hello says. */
    public static final class Options {
        final String name;
        String version = "0";
        Signer signer;
        Verifier verifier;
        Map<String, String> limits;

        /** Options for an implementation called {@code name}. */
        public Options(String name) {
            this.name = name;
        }

        /** The version hello reports. */
        public Options version(String v) {
            version = v;
            return this;
        }

        /** Claims {@code sign}. */
        public Options sign(Signer s) {
            signer = s;
            return this;
        }

        /** Claims {@code verify}. */
        public Options verify(Verifier v) {
            verifier = v;
            return this;
        }

        /** Limits declared in hello: "secret": "text", "identifier": "user_id"|"email", "note": text. */
        public Options limits(Map<String, String> l) {
            limits = l;
            return this;
        }
    }

    private static String describe(Throwable e, byte[] secret) {
        String text = (e.getClass().getName() + ": " + e.getMessage());
        text = text.substring(0, Math.min(300, text.length()));
        if (secret != null && secret.length >= 4
                && (text.contains(HexFormat.of().formatHex(secret))
                        || text.contains(new String(secret, StandardCharsets.ISO_8859_1))
                        || text.contains(new String(secret, StandardCharsets.UTF_8)))) {
            return e.getClass().getName() + " (message withheld: it shows the secret)";
        }
        return text;
    }

    private static Map<String, Object> error(String message) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "error");
        out.put("message", message);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> answer(Map<String, Object> req, Options o) {
        Object type = req.get("type");
        Map<String, Object> out = new LinkedHashMap<>();
        if ("hello".equals(type)) {
            List<Object> caps = new ArrayList<>();
            if (o.signer != null) caps.add("sign");
            if (o.verifier != null) caps.add("verify");
            out.put("type", "hello");
            out.put("name", o.name);
            out.put("version", o.version);
            out.put("language", "java");
            out.put("capabilities", caps);
            out.put("protocol", "ivconform/1");
            if (o.limits != null && !o.limits.isEmpty()) out.put("limits", new LinkedHashMap<>(o.limits));
            return out;
        }
        if ("bye".equals(type)) {
            out.put("type", "bye");
            return out;
        }
        if ("sign".equals(type) && o.signer != null) {
            byte[] secret = HexFormat.of().parseHex((String) req.get("secret_hex"));
            Object email = req.get("email");
            String result;
            try {
                result = o.signer.sign(secret, req.get("user_id"), email instanceof String s ? s : null);
            } catch (Exception e) {
                return error(describe(e, secret));
            }
            out.put("type", "sign");
            if (result == null) out.put("user_hash", null);
            else if (result.startsWith("error:")) out.put("error", result.substring(6));
            else out.put("user_hash", result);
            return out;
        }
        if ("verify".equals(type) && o.verifier != null) {
            try {
                byte[] payload = HexFormat.of().parseHex((String) req.get("payload_hex"));
                Object now = req.get("now");
                Map<String, Object> result = o.verifier.verify((Map<String, Object>) req.get("config"),
                        (String) req.get("platform"), payload, now instanceof BigInteger n ? n.longValue() : null);
                out.putAll(result);
                out.put("type", "verify");
                return out;
            } catch (Exception e) {
                return error(describe(e, null));
            }
        }
        String kind = String.valueOf(type);
        return error("unsupported message type " + Json.write(kind.substring(0, Math.min(40, kind.length()))));
    }

    /** One request (JSON text) to its answer with the request's seq. Never throws on bad input. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> handle(String text, Options o) {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            parsed = null;
        }
        if (!(parsed instanceof Map)) {
            Map<String, Object> out = error("the request is not a JSON object");
            out.put("seq", 0);
            return out;
        }
        Map<String, Object> req = (Map<String, Object>) parsed;
        Map<String, Object> out;
        try {
            out = answer(req, o);
        } catch (RuntimeException e) { // a malformed request: never echo it, it holds secrets
            out = error("cannot handle the request (" + e.getClass().getSimpleName() + ")");
        }
        out.put("seq", req.getOrDefault("seq", 0));
        return out;
    }

    /** Reads one line of at most {@link #MAX_REQUEST_BYTES} characters; null at end of input. */
    private static String readLine(BufferedReader in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') return line.toString();
            if (line.length() >= MAX_REQUEST_BYTES) throw new IOException("request line longer than 16 MiB");
            line.append((char) c);
        }
        return line.length() == 0 ? null : line.toString();
    }

    private static void serveStdio(Options o, PrintStream protocol) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        String line;
        while ((line = readLine(in)) != null) {
            if (line.isBlank()) continue;
            Map<String, Object> out = handle(line, o);
            protocol.print(Json.write(out) + "\n");
            protocol.flush();
            if ("bye".equals(out.get("type"))) return;
        }
    }

    private static void serveHttp(String address, Options o, PrintStream protocol) throws IOException {
        int at = address.lastIndexOf(':');
        String host = address.substring(0, at).replaceAll("^\\[|\\]$", "");
        // Headers and body are two writes: without TCP_NODELAY every answer waits ~40 ms (Nagle + delayed ACK).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(host.isEmpty() ? "127.0.0.1" : host,
                Integer.parseInt(address.substring(at + 1))), 64);
        server.createContext("/", exchange -> {
            Map<String, Object> out;
            try (InputStream body = exchange.getRequestBody()) {
                byte[] bytes = body.readNBytes(MAX_REQUEST_BYTES + 1);
                if (!"POST".equals(exchange.getRequestMethod()) || bytes.length > MAX_REQUEST_BYTES) {
                    out = error("POST / with a body of at most 16 MiB");
                    out.put("seq", 0);
                } else {
                    out = handle(new String(bytes, StandardCharsets.UTF_8), o);
                }
            }
            byte[] reply = Json.write(out).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(reply);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        InetSocketAddress bound = server.getAddress();
        String shown = bound.getAddress().getHostAddress();
        protocol.print("listening on http://" + (shown.contains(":") ? "[" + shown + "]" : shown) + ":"
                + bound.getPort() + "/\n");
        protocol.flush();
    }

    /**
     * Runs the protocol loop: over stdio, or over HTTP with {@code --http HOST:PORT} in {@code args} (the
     * callbacks then run on several threads at once).
     */
    public static void serve(String[] args, Options o) throws IOException {
        if (o.signer == null && o.verifier == null) throw new IllegalArgumentException("serve needs sign or verify");
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err); // System.out.println from the callbacks goes to stderr
        if (args.length == 2 && args[0].equals("--http")) {
            serveHttp(args[1], o, protocol);
        } else if (args.length == 0) {
            serveStdio(o, protocol);
        } else {
            System.err.println("usage: java ADAPTER [--http HOST:PORT]");
            System.exit(2);
        }
    }

    /** A small bounded JSON reader and writer (the JDK has none). */
    public static final class Json {
        private static final int MAX_DEPTH = 64;
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        /** Parses one JSON value: Map, List, String, BigInteger, BigDecimal, Boolean or null. */
        public static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value(0);
            p.ws();
            if (p.i != text.length()) throw p.fail("data after the JSON value");
            return v;
        }

        private IllegalArgumentException fail(String what) {
            return new IllegalArgumentException(what + " at offset " + i);
        }

        private void ws() {
            while (i < s.length() && " \t\n\r".indexOf(s.charAt(i)) >= 0) i++;
        }

        private Object value(int depth) {
            ws();
            if (i >= s.length()) throw fail("unexpected end");
            char c = s.charAt(i);
            if (c == '{' || c == '[') {
                if (depth >= MAX_DEPTH) throw fail("nesting deeper than " + MAX_DEPTH);
                return c == '{' ? object(depth + 1) : array(depth + 1);
            }
            if (c == '"') return string();
            if (c == '-' || (c >= '0' && c <= '9')) return number();
            for (String word : new String[] {"true", "false", "null"}) {
                if (s.startsWith(word, i)) {
                    i += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word.equals("true"));
                }
            }
            throw fail("unexpected character");
        }

        private Map<String, Object> object(int depth) {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw fail("expected a string key");
                String key = string();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw fail("expected ':'");
                i++;
                m.put(key, value(depth));
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return m;
                } else {
                    throw fail("expected ',' or '}'");
                }
            }
        }

        private List<Object> array(int depth) {
            List<Object> a = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return a;
            }
            while (true) {
                a.add(value(depth));
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                } else if (i < s.length() && s.charAt(i) == ']') {
                    i++;
                    return a;
                } else {
                    throw fail("expected ',' or ']'");
                }
            }
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            i++;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') {
                    if (c < 0x20) throw fail("raw control character in a string");
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) break;
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw fail("short \\u escape");
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw fail("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> throw fail("bad escape");
                }
            }
            throw fail("unterminated string");
        }

        private Object number() {
            int start = i;
            if (s.charAt(i) == '-') i++;
            while (i < s.length() && "0123456789".indexOf(s.charAt(i)) >= 0) i++;
            boolean integer = true;
            while (i < s.length() && ".eE+-0123456789".indexOf(s.charAt(i)) >= 0) {
                integer = false;
                i++;
            }
            String lexeme = s.substring(start, i);
            if (lexeme.length() > 4096) throw fail("number longer than 4096 characters");
            try {
                return integer ? new BigInteger(lexeme) : new BigDecimal(lexeme);
            } catch (NumberFormatException x) {
                throw fail("bad number");
            }
        }

        /** Compact JSON of a Map, List, String, Number, Boolean or null (non-ASCII escaped as \\uXXXX). */
        public static String write(Object v) {
            StringBuilder b = new StringBuilder();
            write(v, b, 0);
            return b.toString();
        }

        private static void write(Object v, StringBuilder b, int depth) {
            if (depth > MAX_DEPTH) throw new IllegalArgumentException("nesting deeper than " + MAX_DEPTH);
            if (v == null) {
                b.append("null");
            } else if (v instanceof String str) {
                b.append('"');
                for (int k = 0; k < str.length(); k++) {
                    char c = str.charAt(k);
                    if (c == '"' || c == '\\') b.append('\\').append(c);
                    else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
                b.append('"');
            } else if (v instanceof Number || v instanceof Boolean) {
                b.append(v);
            } else if (v instanceof Map<?, ?> m) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    write(String.valueOf(e.getKey()), b, depth + 1);
                    b.append(':');
                    write(e.getValue(), b, depth + 1);
                }
                b.append('}');
            } else if (v instanceof List<?> l) {
                b.append('[');
                for (int k = 0; k < l.size(); k++) {
                    if (k > 0) b.append(',');
                    write(l.get(k), b, depth + 1);
                }
                b.append(']');
            } else {
                write(String.valueOf(v), b, depth + 1);
            }
        }
    }
}
