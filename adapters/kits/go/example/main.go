package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	kit "ivconform/kit"
)

func sign(secret []byte, userID, email any) (*string, error) { // S1-S5: user_id unless absent/null/"", else email
	identifier := userID
	if userID == nil || userID == "" {
		identifier = email
	}
	if len(secret) == 0 {
		return kit.Refusal("empty_secret"), nil
	}
	if identifier == nil || identifier == "" {
		return kit.Refusal("no_identifier"), nil
	}
	mac := hmac.New(sha256.New, secret)
	fmt.Fprint(mac, identifier)
	hash := hex.EncodeToString(mac.Sum(nil))
	return &hash, nil
}

func main() { kit.Serve(kit.Options{Name: "go-kit-example", Sign: sign}) }
