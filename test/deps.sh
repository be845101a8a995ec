#!/usr/bin/env bash
# Install the Debian packages that one use of jwt_auth needs, as root:
#   bash test/deps.sh demo      # build the extension, examples/demo.sh
#   bash test/deps.sh fastapi   # the above, PgBouncer, the FastAPI stack and
#                               # its mail sink (examples/fastapi/start.sh)
#   bash test/deps.sh [test]    # everything test/run needs (the default)
#   bash test/deps.sh versions  # what test/versions.sh needs to build
#                               # PostgreSQL and run the suites there
#   bash test/deps.sh indent    # what test/indent.sh needs to build
#                               # pg_bsd_indent and run pgindent
# Idempotent and silent when nothing is missing.  When another apt or dpkg
# process holds the package locks (a fresh machine runs its automatic
# updates at boot), waits for it, up to DEPS_LOCK_WAIT seconds (600).
set -euo pipefail

mode=${1:-test}
demo=(
    make gcc libc6-dev
    postgresql-15 postgresql-server-dev-15 postgresql-contrib
    libssl-dev
)
fastapi=(
    "${demo[@]}"
    pgbouncer curl
    python3 python3-fastapi python3-uvicorn python3-psycopg python3-psycopg-pool python3-aiosmtpd
)
tests=(
    "${fastapi[@]}"
    libjwt-dev nodejs openssl
    python3-jwt python3-cryptography python3-pytest python3-httpx
    valgrind clang libclang-rt-14-dev
    chromium
)
versions=(
    "${fastapi[@]}"
    bison flex
    python3-jwt python3-cryptography python3-pytest python3-httpx
)
# pg_bsd_indent built from an xz or bzip2 tarball of PostgreSQL: its
# configure and generated headers (Perl, and bison since git snapshots have
# no generated grammar), and pgindent, in Perl.
indent=(
    make gcc libc6-dev
    perl bison
    xz-utils bzip2
)
case $mode in
    demo) packages=("${demo[@]}") ;;
    fastapi) packages=("${fastapi[@]}") ;;
    test) packages=("${tests[@]}") ;;
    versions) packages=("${versions[@]}") ;;
    indent) packages=("${indent[@]}") ;;
    *)
        echo "deps: unknown set '$mode'; use one of: demo, fastapi, test, versions, indent" >&2
        exit 2
        ;;
esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 1
fi

# The locks apt and dpkg take; apt-get's own DPkg::Lock::Timeout covers
# only the dpkg ones, and "apt-get update" gives up at once.
locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)

# holder: "NAME (pid PID) holds FILE" for the first lock held, nothing when
# none is.  Read from /proc/locks (the kernel's table of locks, matched
# by inode number): no tool a minimal Debian lacks (fuser is in psmisc).
holder() {
    local f inode pid name
    for f in "${locks[@]}"; do
        [ -e "$f" ] || continue
        inode=$(stat -c %i "$f" 2>/dev/null) || continue
        # "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; waiters have "->".
        pid=$(awk -v ino="$inode" '$2 != "->" { n = split($6, d, ":"); if (d[n] == ino) { print $5; exit } }' /proc/locks)
        [ -n "$pid" ] || continue
        name=$(cat "/proc/$pid/comm" 2>/dev/null || echo "another process")
        echo "$name (pid $pid) holds $f"
        return
    done
}

wait_limit=${DEPS_LOCK_WAIT:-600}
start=$SECONDS

# wait_for_locks: return once no lock is held; exit after wait_limit
# seconds (counted from the first wait).
wait_for_locks() {
    local who said= waited
    while who=$(holder) && [ -n "$who" ]; do
        waited=$((SECONDS - start))
        if [ "$waited" -ge "$wait_limit" ]; then
            echo "deps: gave up after waiting ${waited} s: $who." >&2
            echo "deps: let it finish (a fresh machine's automatic update can take a while)" \
                 "and run this again, or wait longer with DEPS_LOCK_WAIT=<seconds>" >&2
            exit 1
        fi
        if [ "$who" != "$said" ]; then
            echo "deps: another package manager is running: $who;" \
                 "waiting for it (up to $((wait_limit - waited)) s)"
            said=$who
        fi
        sleep 2
    done
}

wait_for_locks
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# "apt-get update" does not wait for a lock: should another apt have taken
# one since, wait again.
until apt-get update -qq; do
    [ -n "$(holder)" ] || exit 1
    wait_for_locks
done
left=$((wait_limit - (SECONDS - start)))
[ "$left" -gt 30 ] || left=30
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout="$left" "${missing[@]}" >/dev/null
