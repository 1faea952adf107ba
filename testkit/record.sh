#!/usr/bin/env bash
# Re-records the sessions in snapshots/sessions/ with the real `mm run`
# (paper mode: the in-process simulator, seeded), one per config in
# snapshots/configs/*.toml, then refreshes their snapshots.
#
#   testkit/record.sh              # every recorded session
#   testkit/record.sh amend legacy # just these
#
# A session without a config is a captured one (a journal from a real run,
# see snapshots/README.md): nothing can re-record it, so it is skipped here
# (named or not) and its journal and log are never touched.
#
# Re-recording is a deliberate change: review `git diff snapshots/` like
# code (the .snap transcripts say what the engine decided, line by line)
# before committing it.
#
# A config's own comments drive its recording:
#   # record: <extra `mm run` flags>      (ticks, --sim-seed, faults, tier...)
#   # reload: <seconds> <file>            copy snapshots/configs/<file> over the
#                                         running config at that time (hot reload)
#   # signal: <seconds> <SIG>             send the signal to `mm` at that time
#   # exit: <code>                        mm run's expected exit status (default 0)
#   # client: <command>                   an externally driven session: `mm run`
#                                         gets --quotes <socket>, and <command>
#                                         (run from the repository root, {sock}
#                                         replaced by the socket path) quotes it
# Times are wall-clock seconds from the start of `mm run`, so where a reload
# lands can differ between recordings; the journal records where it landed,
# so the replay is exact either way.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
configs=snapshots/configs
sessions=snapshots/sessions
mkdir -p "$sessions"

echo "building mm..." >&2
cargo build --quiet -p mm-shell --bin mm
mm="${CARGO_TARGET_DIR:-$root/target}/debug/mm"
[[ -x $mm ]] || { echo "record.sh: no mm binary at $mm" >&2; exit 1; }

captured() {
    echo "skipping $1: a captured session (no $configs/$1.toml), not re-recordable" >&2
}

names=()
if [[ $# -gt 0 ]]; then
    for name in "$@"; do
        if [[ -f $configs/$name.toml ]]; then
            names+=("$name")
        elif [[ -f $sessions/$name.mmj ]]; then
            captured "$name"
        else
            echo "record.sh: no config $configs/$name.toml" >&2
            exit 1
        fi
    done
else
    for cfg in "$configs"/*.toml; do
        [[ -e $cfg ]] && names+=("$(basename "$cfg" .toml)")
    done
    for journal in "$sessions"/*.mmj; do
        [[ -e $journal ]] || continue
        name=$(basename "$journal" .mmj)
        [[ -f $configs/$name.toml ]] || captured "$name"
    done
fi

for name in "${names[@]}"; do
    cfg="$configs/$name.toml"
    work=$(mktemp -d)
    cp "$cfg" "$work/config.toml"
    read -r -a extra <<<"$(sed -n 's/^# record: //p' "$cfg")"
    echo "recording $name: mm run ${extra[*]}" >&2
    # A fixed session id per recording: orderLinkIds stay the same across
    # re-recordings, so a snapshot diff shows only changed decisions.
    sid=$(printf '%s' "rec$name" | tr -cd 'A-Za-z0-9' | cut -c1-15)
    client=$(sed -n 's/^# client: //p' "$cfg")
    quotes=()
    [[ -n $client ]] && quotes=(--quotes "$work/q.sock")
    "$mm" run --config "$work/config.toml" --session-id "$sid" \
        --journal "$work/journal.mmj" --log "$work/core.log" \
        --metrics-addr 127.0.0.1:0 "${quotes[@]}" "${extra[@]}" 2>"$work/stderr" &
    pid=$!
    started=$(date +%s.%N)
    cpid=
    if [[ -n $client ]]; then
        for _ in $(seq 200); do [[ -S $work/q.sock ]] && break; sleep 0.05; done
        echo "  client: ${client//\{sock\}/$work/q.sock}" >&2
        (cd "$root" && eval "${client//\{sock\}/$work/q.sock}") >"$work/client.out" 2>&1 &
        cpid=$!
    fi
    # Scripted events, in time order.
    while read -r kind at what; do
        [[ -z ${kind:-} ]] && continue
        now=$(date +%s.%N)
        wait_s=$(awk -v s="$started" -v a="$at" -v n="$now" 'BEGIN { w = s + a - n; print (w > 0 ? w : 0) }')
        sleep "$wait_s"
        kill -0 "$pid" 2>/dev/null || break
        case $kind in
            reload)
                echo "  +${at}s reload from $what" >&2
                sed -e '/^# record:/d' -e '/^# reload:/d' -e '/^# signal:/d' -e '/^# client:/d' \
                    "$configs/$what" >"$work/config.next"
                mv "$work/config.next" "$work/config.toml"
                ;;
            signal)
                echo "  +${at}s SIG$what" >&2
                kill -s "$what" "$pid"
                ;;
        esac
    done < <(sed -n -e 's/^# reload: /reload /p' -e 's/^# signal: /signal /p' "$cfg" | sort -k2 -g)
    # `# exit: <code>`: a session that ends early on purpose (a kill switch: 4).
    expect=$(sed -n 's/^# exit: //p' "$cfg" | head -n 1)
    rc=0
    wait "$pid" || rc=$?
    if [[ $rc != "${expect:-0}" ]]; then
        echo "record.sh: mm run ended $rc (expected ${expect:-0}) for $name; its stderr:" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    if [[ -n $cpid ]] && ! wait "$cpid"; then
        echo "record.sh: the quote client failed for $name; its output:" >&2
        cat "$work/client.out" >&2
        exit 1
    fi
    mv "$work/journal.mmj" "$sessions/$name.mmj"
    mv "$work/core.log" "$sessions/$name.core.log"
    printf '  %s: journal %s bytes, log %s bytes\n' "$name" \
        "$(wc -c <"$sessions/$name.mmj")" "$(wc -c <"$sessions/$name.core.log")" >&2
    rm -rf "$work"
done

# Snapshots of sessions that no longer exist would fail the unreferenced check.
for snap in snapshots/session@*.mmj.snap; do
    [[ -e $snap ]] || continue
    name=${snap#snapshots/session@}
    name=${name%.mmj.snap}
    [[ -f $sessions/$name.mmj ]] || { echo "removing stale $snap" >&2; rm "$snap"; }
done

# Only the snapshots of the sessions just recorded: a captured session's
# snapshot changes only by its own procedure (snapshots/README.md).
if [[ ${#names[@]} -gt 0 ]]; then
    echo "refreshing snapshots of ${names[*]}..." >&2
    filter=$(printf '%s.mmj;' "${names[@]}")
    INSTA_GLOB_FILTER="$filter" INSTA_UPDATE=always INSTA_FORCE_PASS=1 \
        cargo test --quiet -p mm-testkit --test snapshots every_session_matches_its_snapshot \
        >/dev/null 2>&1 || true
fi
cargo test --quiet -p mm-testkit --test snapshots
echo "done; now review: git status snapshots/ && git diff snapshots/" >&2
