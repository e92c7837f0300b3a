# What bench/run and bench/profile share: the release build, the bench's own
# database (seeded once, reused with BENCH_SKIP_SEED=1) and starting a server.
# Sourced, not run; expects to be in the repository's root.

PGURL=postgres://postgres@127.0.0.1:5432
DB=atelier_bench
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/atelier-bench-target}
BIN=$CARGO_TARGET_DIR/release/atelier
SERVERS=()

build_release() {
  [ "${BENCH_SKIP_BUILD:-}" = 1 ] || cargo build --release --locked -q
}

# Whether the bench database holds the seed already.
seeded() {
  [ "$(psql -Atq "$PGURL/$DB" -c "SELECT count(*) > 0 FROM users WHERE email = 'bench@atelier.test'" 2>/dev/null)" = t ]
}

# fresh_database: drops and creates the bench database (the server migrates it).
fresh_database() {
  psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
}

# start_atelier NAME PORT [VAR=VALUE...]: a release server on PORT, its output in
# $WORK/NAME.log, its pid in $STARTED (and in SERVERS, for the cleanup). With
# BENCH_WRAP set (e.g. "valgrind --tool=callgrind ..."), the server runs under it.
start_atelier() {
  local name=$1 port=$2
  shift 2
  # shellcheck disable=SC2086
  # No RUST_BACKTRACE: with it every internal error (a pool timeout under
  # overload, say) captures and prints a backtrace, which costs more than the request.
  env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE DATABASE_URL="$PGURL/$DB" HOST=127.0.0.1 PORT="$port" WORKERS=2 LOG_LEVEL=warn DATA_DIR="$WORK/data" "$@" \
    ${BENCH_WRAP:-} "$BIN" serve >"$WORK/$name.log" 2>&1 &
  STARTED=$!
  SERVERS+=("$STARTED")
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.5; done
  echo "$name did not get ready:" >&2
  tail -20 "$WORK/$name.log" >&2
  exit 1
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

stop_all() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# gql URL BODY [TOKEN]: one GraphQL request.
gql() { curl -s "$1" -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$2"; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

# seed URL: fills the (fresh, migrated) database through the running server at URL;
# sets SEEDED to how long it took.
seed() {
  # One real argon2 hash for every seeded account.
  gql "$1" '{"query":"mutation { signUp(input:{email:\"seed@bench.test\", password:\"bench-password\"}) { token } }"}' >/dev/null
  local hash start
  hash=$(psql -Atq "$PGURL/$DB" -c "SELECT password_hash FROM users WHERE email = 'seed@bench.test'")
  echo "seeding..."
  start=$(date +%s)
  psql -q "$PGURL/$DB" -v password_hash="$hash" -f bench/seed.sql
  SEEDED="seeded in $(($(date +%s) - start))s"
}

# sign_in URL: the bench user's token.
sign_in() {
  gql "$1" '{"query":"mutation { signIn(input:{email:\"bench@atelier.test\", password:\"bench-password\"}) { token } }"}' |
    json_field "['data']['signIn']['token']"
}

# gid TYPE UUID: Atelier's global ID.
gid() { printf '%s:%s' "$1" "$2" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# write_bodies DIR: the Atelier request bodies of Q1, Q2, Q3, Q5 (needs PROJECT, MODEL).
write_bodies() {
  cat >"$1/q1.json" <<JSON
{"query":"query Q1(\$id: ID!) { project(id: \$id) { id name workbench { id name } } }","variables":{"id":"$PROJECT"}}
JSON
  cat >"$1/q2.json" <<'JSON'
{"query":"query Q2 { projects(first: 50) { edges { node { id name assets(first: 20) { edges { node { id name user { id } generationRequest { id } } } } } } } }"}
JSON
  cat >"$1/q5.json" <<'JSON'
{"query":"query Q5 { projects(first: 50) { edges { node { id name viewerCan { update delete restore uploadAsset requestGeneration } assets(first: 20) { edges { node { id name downloadUrl user { id } generationRequest { id } } } } } } } }"}
JSON
  cat >"$1/q3.json" <<JSON
{"query":"mutation Q3(\$input: RequestGenerationInput!) { requestGeneration(input: \$input) { generationRequest { id status } } }","variables":{"input":{"projectId":"$PROJECT","aiModelId":"$MODEL","inputPrompt":"a lighthouse at dusk","inputParameters":{"sampleCount":1,"resolution":"256x256"}}}}
JSON
}

# bench_ids: the seeded ids the shapes use (PROJECT_UUID, USER_UUID, PROJECT, MODEL).
bench_ids() {
  PROJECT_UUID=$(psql -Atq "$PGURL/$DB" -c "SELECT md5('project1-1')::uuid")
  USER_UUID=$(psql -Atq "$PGURL/$DB" -c "SELECT md5('user1')::uuid")
  PROJECT=$(gid Project "$PROJECT_UUID")
  MODEL=$(gid AIModel "$(psql -Atq "$PGURL/$DB" -c "SELECT md5('bench-model')::uuid")")
}
