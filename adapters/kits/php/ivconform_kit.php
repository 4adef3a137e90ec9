<?php
// ivconform adapter kit for PHP (standard library only: the json extension): the protocol loop of
// docs/PROTOCOL.md over stdio, so that you write only the callbacks
//
//     sign(string $secret, $userId, ?string $email): ?string
//     verify(array $config, string $platform, string $payload, ?int $now): array
//
// `sign` gets the secret's raw bytes, `$userId` as sent (a string, an int, a numeric string when the integer is
// beyond PHP's int range (JSON_BIGINT_AS_STRING keeps its digits exact), or null when absent or null) and
// `$email` (a string or null). It returns the 64-hex user_hash, "error:CLASS" for a refusal, or null when it
// produced no hash. `verify` returns the verify answer without type/seq. A Throwable becomes a protocol
// `error` answer naming it.
//
//     require __DIR__ . '/ivconform_kit.php';
//     ivconform_serve(['sign' => 'my_sign', 'name' => 'acme', 'limits' => ['secret' => 'text']]);
//
// Anything the callbacks echo goes to stderr: stdout carries only the protocol. (No HTTP variant: PHP's
// built-in server is a separate mode, `php -S`, not a library call.)

const IVCONFORM_MAX_LINE_BYTES = 16 * 1024 * 1024;

function ivconform_describe(Throwable $e, ?string $secret): string
{
    $text = substr(get_class($e) . ': ' . $e->getMessage(), 0, 300);
    if ($secret !== null && strlen($secret) >= 4 && (str_contains($text, bin2hex($secret)) || str_contains($text, $secret))) {
        return get_class($e) . ' (message withheld: it shows the secret)';
    }
    return $text; // json_encode substitutes invalid UTF-8
}

function ivconform_answer(array $request, array $options): array
{
    $sign = $options['sign'] ?? null;
    $verify = $options['verify'] ?? null;
    switch ($request['type'] ?? null) {
        case 'hello':
            $hello = ['type' => 'hello', 'name' => $options['name'] ?? 'ivconform-kit',
                'version' => $options['version'] ?? '0', 'language' => $options['language'] ?? 'php',
                'capabilities' => array_values(array_filter([$sign ? 'sign' : null, $verify ? 'verify' : null])),
                'protocol' => 'ivconform/1'];
            if (!empty($options['limits'])) {
                $hello['limits'] = $options['limits'];
            }
            return $hello;
        case 'bye':
            return ['type' => 'bye'];
        case 'sign':
            if ($sign === null) {
                break;
            }
            $secret = hex2bin($request['secret_hex']);
            if ($secret === false) {
                throw new ValueError('secret_hex is not hex');
            }
            try {
                $result = $sign($secret, $request['user_id'] ?? null, $request['email'] ?? null);
            } catch (Throwable $e) {
                return ['type' => 'error', 'message' => ivconform_describe($e, $secret)];
            }
            if ($result === null) {
                return ['type' => 'sign', 'user_hash' => null];
            }
            if (!is_string($result)) {
                return ['type' => 'error', 'message' => 'sign returned ' . gettype($result)];
            }
            if (str_starts_with($result, 'error:')) {
                return ['type' => 'sign', 'error' => substr($result, 6)];
            }
            return ['type' => 'sign', 'user_hash' => $result];
        case 'verify':
            if ($verify === null) {
                break;
            }
            try {
                $payload = hex2bin($request['payload_hex']);
                $result = $verify($request['config'], $request['platform'], $payload === false ? '' : $payload,
                    $request['now'] ?? null);
                return array_merge($result, ['type' => 'verify']);
            } catch (Throwable $e) {
                return ['type' => 'error', 'message' => ivconform_describe($e, null)];
            }
    }
    return ['type' => 'error', 'message' => 'unsupported message type ' . json_encode(substr((string)($request['type'] ?? ''), 0, 40))];
}

/** One request line -> its answer with the request's seq. Never throws. */
function ivconform_handle(string $line, array $options): array
{
    $request = json_decode($line, true, 512, JSON_BIGINT_AS_STRING);
    if (!is_array($request) || array_is_list($request)) {
        return ['type' => 'error', 'seq' => 0, 'message' => 'the request is not a JSON object'];
    }
    try {
        $out = ivconform_answer($request, $options);
    } catch (Throwable $e) { // never echo the request: it holds secrets
        $out = ['type' => 'error', 'message' => 'cannot handle the request (' . get_class($e) . ')'];
    }
    $out['seq'] = $request['seq'] ?? 0;
    return $out;
}

/**
 * Run the protocol loop over stdio. $options: sign, verify, name, version, language, limits (declared in
 * hello: ['secret' => 'text'], ['identifier' => 'user_id'] or 'email', and an optional note; see
 * docs/PROTOCOL.md).
 */
function ivconform_serve(array $options): void
{
    if (empty($options['sign']) && empty($options['verify'])) {
        throw new InvalidArgumentException('ivconform_serve needs sign, verify or both');
    }
    $protocol = fopen('php://stdout', 'w'); // fwrite bypasses output buffering; echo goes to stderr below
    ob_start(function (string $buffer): string {
        fwrite(STDERR, $buffer);
        return '';
    }, 1);
    while (($line = fgets(STDIN, IVCONFORM_MAX_LINE_BYTES)) !== false) {
        if (trim($line) === '') {
            continue;
        }
        $out = ivconform_handle($line, $options);
        fwrite($protocol, json_encode($out, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE) . "\n");
        fflush($protocol);
        if ($out['type'] === 'bye') {
            break;
        }
    }
}
