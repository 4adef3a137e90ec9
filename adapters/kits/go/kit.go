// Package kit is the ivconform adapter kit for Go (standard library only: encoding/json, net/http): the
// protocol loop of docs/PROTOCOL.md over stdio or HTTP, so that you write only the callbacks
//
//	Sign(secret []byte, userID, email any) (*string, error)
//	Verify(config map[string]any, platform string, payload []byte, now *int64) (map[string]any, error)
//
// Sign gets the secret's raw bytes, userID as sent (a string, a json.Number holding the integer's exact
// digits, or nil when absent or null) and email (a string or nil). It returns the 64-hex user_hash, "error:CLASS"
// for a refusal (Refusal("no_identifier")), or nil when it produced no hash; a non-nil error becomes a protocol
// `error` answer. Verify returns the verify answer without type/seq.
//
//	kit.Serve(kit.Options{Name: "acme", Sign: sign, Limits: map[string]string{"secret": "text"}})
//
// Serve reads `--http HOST:PORT` from the command line (default: stdio). fmt.Print* goes to stderr: stdout
// carries only the protocol.
package kit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

// MaxRequestBytes bounds one request (they carry up to a few MiB: the 1 MiB payload case, in hex).
const MaxRequestBytes = 16 << 20

// Options are the callbacks and what hello says.
type Options struct {
	Name, Version string
	// Limits are declared in hello (docs/PROTOCOL.md): "secret": "text", "identifier": "user_id" or "email",
	// and an optional "note" quoted in reports.
	Limits map[string]string
	Sign   func(secret []byte, userID, email any) (*string, error)
	Verify func(config map[string]any, platform string, payload []byte, now *int64) (map[string]any, error)
}

// Refusal is the sign answer "error:CLASS", for a refusal by class.
func Refusal(class string) *string {
	s := "error:" + class
	return &s
}

func describe(err error, secret []byte) string {
	text := fmt.Sprintf("%T: %v", err, err)
	if len(text) > 300 {
		text = text[:300]
	}
	if len(secret) >= 4 && (strings.Contains(text, hex.EncodeToString(secret)) || strings.Contains(text, string(secret))) {
		return fmt.Sprintf("%T (message withheld: it shows the secret)", err)
	}
	return text
}

func answer(req map[string]any, o *Options) map[string]any {
	str := func(key string) string { s, _ := req[key].(string); return s }
	switch req["type"] {
	case "hello":
		caps := []string{}
		if o.Sign != nil {
			caps = append(caps, "sign")
		}
		if o.Verify != nil {
			caps = append(caps, "verify")
		}
		name, version := o.Name, o.Version
		if name == "" {
			name = "ivconform-kit"
		}
		if version == "" {
			version = "0"
		}
		hello := map[string]any{"type": "hello", "name": name, "version": version, "language": "go",
			"capabilities": caps, "protocol": "ivconform/1"}
		if len(o.Limits) > 0 {
			hello["limits"] = o.Limits
		}
		return hello
	case "bye":
		return map[string]any{"type": "bye"}
	case "sign":
		if o.Sign == nil {
			break
		}
		secret, err := hex.DecodeString(str("secret_hex"))
		if err != nil {
			return map[string]any{"type": "error", "message": "secret_hex is not hex"}
		}
		result, err := o.Sign(secret, req["user_id"], req["email"])
		switch {
		case err != nil:
			return map[string]any{"type": "error", "message": describe(err, secret)}
		case result == nil:
			return map[string]any{"type": "sign", "user_hash": nil}
		case strings.HasPrefix(*result, "error:"):
			return map[string]any{"type": "sign", "error": strings.TrimPrefix(*result, "error:")}
		default:
			return map[string]any{"type": "sign", "user_hash": *result}
		}
	case "verify":
		if o.Verify == nil {
			break
		}
		payload, err := hex.DecodeString(str("payload_hex"))
		config, _ := req["config"].(map[string]any)
		if err != nil {
			return map[string]any{"type": "error", "message": "payload_hex is not hex"}
		}
		var now *int64
		if n, ok := req["now"].(json.Number); ok {
			if v, err := n.Int64(); err == nil {
				now = &v
			}
		}
		result, err := o.Verify(config, str("platform"), payload, now)
		if err != nil {
			return map[string]any{"type": "error", "message": describe(err, nil)}
		}
		out := map[string]any{}
		for k, v := range result {
			out[k] = v
		}
		out["type"] = "verify"
		return out
	}
	kind := fmt.Sprint(req["type"])
	if len(kind) > 40 {
		kind = kind[:40]
	}
	return map[string]any{"type": "error", "message": fmt.Sprintf("unsupported message type %q", kind)}
}

// Handle turns one request (JSON) into its answer, with the request's seq. It never panics on bad input.
func Handle(body []byte, o *Options) (out map[string]any) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // integers keep their exact digits (a user_id beyond 2^53 included)
	var req map[string]any
	if err := dec.Decode(&req); err != nil || req == nil {
		return map[string]any{"type": "error", "seq": 0, "message": "the request is not a JSON object"}
	}
	defer func() {
		if r := recover(); r != nil { // a panicking callback: never echo the request, it holds secrets
			out = map[string]any{"type": "error", "seq": req["seq"], "message": fmt.Sprintf("panic: %T", r)}
		}
	}()
	out = answer(req, o)
	out["seq"] = req["seq"]
	if out["seq"] == nil {
		out["seq"] = 0
	}
	return out
}

func serveStdio(o *Options, protocol io.Writer) {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), MaxRequestBytes)
	for in.Scan() {
		line := in.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out := Handle(line, o)
		text, _ := json.Marshal(out)
		protocol.Write(append(text, '\n'))
		if out["type"] == "bye" {
			return
		}
	}
}

func serveHTTP(address string, o *Options, protocol io.Writer) error {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	fmt.Fprintf(protocol, "listening on http://%s/\n", listener.Addr())
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
		out := map[string]any{"type": "error", "seq": 0, "message": "POST / with a body of at most 16 MiB"}
		if r.Method == http.MethodPost && r.URL.Path == "/" && err == nil {
			out = Handle(body, o)
		}
		text, _ := json.Marshal(out)
		w.Header().Set("Content-Type", "application/json")
		w.Write(text)
	})
	return http.Serve(listener, handler)
}

// Serve runs the protocol loop: over stdio, or over HTTP with `--http HOST:PORT` on the command line (the
// callbacks then run on several goroutines at once).
func Serve(o Options) {
	if o.Sign == nil && o.Verify == nil {
		fmt.Fprintln(os.Stderr, "kit.Serve needs Sign, Verify or both")
		os.Exit(2)
	}
	protocol := os.Stdout
	os.Stdout = os.Stderr // fmt.Print* from the callbacks goes to stderr
	args := os.Args[1:]
	switch {
	case len(args) == 2 && args[0] == "--http":
		if err := serveHTTP(args[1], &o, protocol); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case len(args) == 0:
		serveStdio(&o, protocol)
	default:
		fmt.Fprintln(os.Stderr, "usage: ADAPTER [--http HOST:PORT]")
		os.Exit(2)
	}
}
