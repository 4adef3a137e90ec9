require "openssl"
require_relative "ivconform_kit"

sign = lambda do |secret, user_id, email| # S1-S5: user_id unless absent/null/"", else email; raw secret bytes
  identifier = [nil, ""].include?(user_id) ? email : user_id
  next "error:empty_secret" if secret.empty?
  next "error:no_identifier" if [nil, ""].include?(identifier)
  OpenSSL::HMAC.hexdigest("SHA256", secret, identifier.to_s)
end

IvconformKit.serve(sign: sign, name: "ruby-kit-example")
