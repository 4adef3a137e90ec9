<?php
// Field adapter: the vendor-documented PHP idiom hash_hmac('sha256', $id, $secret), through the PHP kit. The
// application passes its user id (declared identifier: user_id); PHP strings are bytes, so any secret works.
require __DIR__ . '/../adapters/kits/php/ivconform_kit.php';

ivconform_serve(['name' => 'php hash_hmac', 'version' => 'idiom',
    'limits' => ['identifier' => 'user_id', 'note' => "hash_hmac('sha256', \$user_id, \$secret)"],
    'sign' => fn(string $secret, $userId, ?string $email): ?string => hash_hmac('sha256', $userId, $secret)]);
