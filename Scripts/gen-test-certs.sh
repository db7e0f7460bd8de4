#!/usr/bin/env bash
# Test certificates for TLS: a CA, a server certificate (CN/SAN localhost, 127.0.0.1), a
# client certificate, and the server key again encrypted with a passphrase ("redstart").
# Usage: Scripts/gen-test-certs.sh DIR   (openssl from Debian's openssl package)
set -euo pipefail
dir=${1:?usage: gen-test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
openssl genrsa -out ca.key 2048 2>/dev/null
openssl req -x509 -new -nodes -sha256 -key ca.key -days 3650 -subj "/O=Redstart Test/CN=Redstart Test CA" -out ca.crt
issue() {
    local name=$1 subject=$2 usage=$3
    openssl genrsa -out "$name.key" 2048 2>/dev/null
    openssl req -new -sha256 -key "$name.key" -subj "$subject" -out "$name.csr"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=%s\n' "$usage" > "$name.ext"
    openssl x509 -req -sha256 -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$name.ext" -out "$name.crt" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}
issue server "/O=Redstart Test/CN=localhost" serverAuth,clientAuth
issue client "/O=Redstart Test/CN=client" clientAuth
openssl rsa -in server.key -aes256 -passout pass:redstart -out server-encrypted.key 2>/dev/null
