# Shared by the Node.js interoperability tests (test/interop/*/run.sh).
# Source it from the top of the repository, after test/lib.sh and after
# setting "suite".
#
# require_node_packages: Node.js 20 or later must be on the PATH, and
# node_modules must hold exactly the packages of package-lock.json; when it
# does not (first run, or the lockfile changed), "npm ci" installs them from
# the lockfile alone, without running any package's install scripts.  A copy
# of the lockfile in node_modules records what was installed.  Returns
# non-zero, with a message on stderr, when Node.js or the packages cannot be
# had.
#
# node_suite_begin: what every such suite does first.  Sets "db" (a fresh
# database, jwt_auth_$suite), "app" and "app_pw" (a plain login role, which
# row-level security binds), and "work" (a temporary directory); drops them
# all on exit; and ends the suite as failed when the npm packages cannot be
# had.

require_node_packages() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -lt 20 ]; then
        echo "$suite: Node.js 20 or later is needed (found: $(node --version 2>/dev/null || echo none))" >&2
        return 1
    fi
    if ! cmp -s package-lock.json node_modules/.jwt_auth-package-lock.json; then
        if ! npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then
            echo "$suite: npm ci failed: the packages of package-lock.json could not be installed" >&2
            return 1
        fi
        cp package-lock.json node_modules/.jwt_auth-package-lock.json
    fi
}

node_suite_begin() {
    db=jwt_auth_$suite
    app=${db}_app
    app_pw=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
    work=$(mktemp -d)
    trap node_suite_cleanup EXIT
    if ! require_node_packages; then
        failed=$((failed + 1))
        finish
    fi
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $app" \
        -c "CREATE DATABASE $db" -c "CREATE ROLE $app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$app_pw'"
}

node_suite_cleanup() {
    set +e
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $app"
    rm -rf "$work"
}
