# Shared by scripts/gpu_check.sh and scripts/gpu_rl_check.sh (sourced): the summary lines and the
# timed steps, so both checks report the same way. Needs RUN, SUMMARY and FAILED set by the caller.

say() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }

# Run a step under `timeout`, log it, record ok / failed / timed out in the summary, and its
# outcome and seconds in $RUN/steps.tsv (name, status, seconds) for the tables at the end.
step() {
    local name="$1" limit="$2" log="$3"; shift 3
    say "## $name (limit ${limit}s)"
    local start=$SECONDS
    timeout --kill-after=15 "$limit" "$@" > >(tee "$log") 2>&1
    local rc=$?
    local took=$((SECONDS - start)) status
    if [[ $rc -eq 0 ]]; then
        status=ok; say "$name: ok in ${took}s (log: $log)"
    elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
        status="timed out"; say "$name: TIMED OUT after ${took}s (log: $log)"; FAILED=1
    else
        status="failed ($rc)"; say "$name: FAILED with exit code $rc after ${took}s (log: $log)"; FAILED=1
    fi
    printf '%s\t%s\t%s\n' "$name" "$status" "$took" >> "$RUN/steps.tsv"
    say ""
    return $rc
}
