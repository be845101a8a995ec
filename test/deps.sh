#!/usr/bin/env bash
# Install the Debian packages jwt_auth needs to build, test and demo.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
    make gcc
    postgresql-15 postgresql-server-dev-15 postgresql-contrib
    libssl-dev libjwt-dev nodejs openssl
    python3-jwt python3-cryptography python3-psycopg python3-pytest
    pgbouncer valgrind clang libclang-rt-14-dev
    python3-fastapi python3-uvicorn python3-httpx python3-psycopg-pool
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages: ${missing[*]}; run as root or install them" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
