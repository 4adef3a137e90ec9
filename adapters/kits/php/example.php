<?php
require __DIR__ . '/ivconform_kit.php';

function sign(string $secret, $userId, ?string $email): ?string { // S1-S5: user_id unless absent/null/"", else email
    $identifier = ($userId === null || $userId === '') ? $email : $userId;
    if ($secret === '') return 'error:empty_secret';
    if ($identifier === null || $identifier === '') return 'error:no_identifier';
    return hash_hmac('sha256', (string)$identifier, $secret);
}

ivconform_serve(['sign' => 'sign', 'name' => 'php-kit-example']);
