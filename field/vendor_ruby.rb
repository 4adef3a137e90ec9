# Field adapter: the vendor-documented Ruby idiom OpenSSL::HMAC.hexdigest('sha256', secret, id), through the
# Ruby kit. The application passes its user id (declared identifier: user_id).
require "openssl"
require_relative "../adapters/kits/ruby/ivconform_kit"

IvconformKit.serve(name: "ruby OpenSSL::HMAC", version: "idiom",
                   limits: { "identifier" => "user_id", "note" => "OpenSSL::HMAC.hexdigest('sha256', secret, user_id)" },
                   sign: ->(secret, user_id, _email) { OpenSSL::HMAC.hexdigest("sha256", secret, user_id) })
