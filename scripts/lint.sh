#!/usr/bin/env bash
# clang-format (every source and test) and clang-tidy (src/), as configured in the repo.
#   scripts/lint.sh BUILD_DIR    BUILD_DIR holds compile_commands.json (a Ninja build)
#
# clang-tidy takes minutes per dozen files on two cores, so a clean result is
# remembered, like ccache remembers compilations: keyed by the SHA-256 of the
# unit, of every file it includes (ninja's dependency log), of its compile flags
# (paths relative to the checkout), of .clang-tidy and of clang-tidy's version.
# Any change to any of these runs it again. ST_LINT_CACHE moves the cache;
# ST_LINT_CACHE=off disables it.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build/release}

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
echo "lint: clang-format on ${#sources[@]} files"
clang-format --dry-run --Werror "${sources[@]}"

mapfile -t units < <(git ls-files 'src/*.cpp')
cache=${ST_LINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-transcoding/clang-tidy}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One line per unit: "<unit> <key>" (key "-" when it cannot be computed: never cached).
python3 - "$build_dir" "$PWD" "${units[@]}" > "$work/keys" <<'PY'
import hashlib, json, os, subprocess, sys
build, root, units = sys.argv[1], sys.argv[2], sys.argv[3:]
commands = {os.path.realpath(c["file"]): c for c in json.load(open(os.path.join(build, "compile_commands.json")))}
common = hashlib.sha256()
common.update(subprocess.run(["clang-tidy", "--version"], capture_output=True).stdout)
common.update(open(".clang-tidy", "rb").read())
contents = {}
def digest(path):
    if path not in contents:
        try:
            contents[path] = hashlib.sha256(open(path, "rb").read()).digest()
        except OSError:
            contents[path] = None
    return contents[path]
for unit in units:
    command = commands.get(os.path.realpath(unit))
    key = "-"
    if command:
        # CMake before 3.27 writes no "output": the object is the argument of -o.
        words = command.get("arguments") or command.get("command", "").split()
        output = command.get("output") or (words[words.index("-o") + 1] if "-o" in words else "")
        deps = subprocess.run(["ninja", "-C", build, "-t", "deps", output], capture_output=True, text=True).stdout
        files = [line.strip() for line in deps.splitlines()[1:] if line.startswith("    ")]
        if files:
            h = common.copy()
            h.update(command.get("command", " ".join(command.get("arguments", []))).replace(root, ".").encode())
            for f in sorted(os.path.realpath(os.path.join(build, f)).replace(root, ".") for f in files):
                d = digest(os.path.join(root, f[2:]) if f.startswith("./") else f)
                if d is None:
                    break
                h.update(f.encode() + d)
            else:
                key = h.hexdigest()
    print(unit, key)
PY

todo=()
while read -r unit key; do
  if [ "$key" != "-" ] && [ "${ST_LINT_CACHE:-}" != off ] && [ -e "$cache/$key" ]; then continue; fi
  todo+=("$unit $key")
done < "$work/keys"
echo "lint: clang-tidy on ${#todo[@]} of ${#units[@]} files (the others are unchanged since a clean run)"

# One unit per clang-tidy: a clean one is remembered. The build uses GCC-only
# warning flags, unknown to clang. "Error while processing" is how clang-tidy
# reports a file it could not parse.
export build_dir cache work
tidy_one() {
  local unit=$1 key=$2 log
  log=$work/$(printf '%s' "$unit" | tr '/' '_').log
  # Its exit status counts too: a clang-tidy killed (out of memory, say)
  # leaves no finding in its log and must not be remembered as clean.
  if clang-tidy -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option "$unit" > "$log" 2>&1; then
    if ! grep -q -E 'warning:|error:|Error while processing' "$log" && [ "$key" != "-" ] &&
      [ "${ST_LINT_CACHE:-}" != off ]; then
      mkdir -p "$cache" && : > "$cache/$key"
    fi
  else
    echo "error: clang-tidy exited with status $? on $unit" >> "$log"
  fi
}
export -f tidy_one
printf '%s\n' "${todo[@]}" | xargs -r -P "$(nproc)" -L 1 bash -c 'tidy_one $0 $1'
if cat "$work"/*.log 2> /dev/null | grep -q -E 'warning:|error:|Error while processing'; then
  cat "$work"/*.log | grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated|^Suppressed [0-9]+ warnings|^Use -header-filter' >&2
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
echo "lint: clean"
