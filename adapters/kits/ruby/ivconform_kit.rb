# ivconform adapter kit for Ruby (standard library only: json): the protocol loop of docs/PROTOCOL.md over
# stdio, so that you write only the callbacks
#
#     sign(secret, user_id, email) -> String or nil
#     verify(config, platform, payload, now) -> Hash
#
# `sign` gets the secret's raw bytes (a binary String), `user_id` as sent (a String, an Integer of any size, or
# nil when absent or null) and `email` (a String or nil). It returns the 64-hex user_hash, "error:CLASS" for a
# refusal, or nil when it produced no hash. `verify` returns the verify answer without type/seq. An exception
# becomes a protocol `error` answer naming it.
#
#     require_relative "ivconform_kit"
#     IvconformKit.serve(sign: method(:sign), name: "acme", limits: { secret: "text" })
#
# Anything the callbacks print goes to stderr: stdout carries only the protocol. (No HTTP variant: Ruby 3's
# standard library has no HTTP server since WEBrick left it.)
require "json"

module IvconformKit
  MAX_LINE_BYTES = 16 * 1024 * 1024

  def self.describe(error, secret)
    text = "#{error.class}: #{error.message}"[0, 300].scrub("?")
    if secret && secret.bytesize >= 4 && (text.include?(secret.unpack1("H*")) || text.b.include?(secret.b))
      return "#{error.class} (message withheld: it shows the secret)"
    end
    text
  end

  def self.answer(request, options)
    sign, verify = options[:sign], options[:verify]
    case request["type"]
    when "hello"
      capabilities = []
      capabilities << "sign" if sign
      capabilities << "verify" if verify
      hello = { "type" => "hello", "name" => options.fetch(:name, "ivconform-kit"),
                "version" => options.fetch(:version, "0"), "language" => options.fetch(:language, "ruby"),
                "capabilities" => capabilities, "protocol" => "ivconform/1" }
      hello["limits"] = options[:limits] if options[:limits]
      return hello
    when "bye"
      return { "type" => "bye" }
    when "sign"
      if sign
        secret = [request.fetch("secret_hex")].pack("H*")
        begin
          result = sign.call(secret, request["user_id"], request["email"])
        rescue StandardError => e
          return { "type" => "error", "message" => describe(e, secret) }
        end
        return { "type" => "sign", "user_hash" => nil } if result.nil?
        return { "type" => "error", "message" => "sign returned #{result.class}" } unless result.is_a?(String)
        return { "type" => "sign", "error" => result.delete_prefix("error:") } if result.start_with?("error:")
        return { "type" => "sign", "user_hash" => result }
      end
    when "verify"
      if verify
        begin
          payload = [request.fetch("payload_hex")].pack("H*")
          result = verify.call(request["config"], request["platform"], payload, request["now"])
          return result.transform_keys(&:to_s).merge("type" => "verify")
        rescue StandardError => e
          return { "type" => "error", "message" => describe(e, nil) }
        end
      end
    end
    { "type" => "error", "message" => "unsupported message type #{request["type"].to_s[0, 40].inspect}" }
  end

  # One request line -> its answer with the request's seq. Never raises.
  def self.handle(line, options)
    request = JSON.parse(line)
    raise JSON::ParserError, "not an object" unless request.is_a?(Hash)
    out = begin
      answer(request, options)
    rescue StandardError => e # never echo the request: it holds secrets
      { "type" => "error", "message" => "cannot handle the request (#{e.class})" }
    end
    out.merge("seq" => request.fetch("seq", 0))
  rescue JSON::ParserError
    { "type" => "error", "seq" => 0, "message" => "the request is not a JSON object" }
  end

  # Run the protocol loop over stdio. options: sign:, verify:, name:, version:, language:, limits: (declared in
  # hello: { secret: "text" }, { identifier: "user_id" } or "email", and an optional note; see docs/PROTOCOL.md).
  def self.serve(**options)
    raise ArgumentError, "serve needs sign:, verify: or both" unless options[:sign] || options[:verify]
    protocol = $stdout.dup # the protocol keeps the real stdout; puts and C extensions write to stderr
    $stdout.reopen($stderr)
    protocol.sync = true
    $stdin.binmode
    while (line = $stdin.gets("\n", MAX_LINE_BYTES))
      next if line.strip.empty?
      out = handle(line.force_encoding("UTF-8"), options)
      protocol.write(JSON.generate(out) + "\n")
      break if out["type"] == "bye"
    end
  end
end
