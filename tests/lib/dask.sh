# tests/lib/dask.sh - sourced by tests/archive/run.sh and tests/merge/run.sh: map `jtlscope
# summarize` over inputs on a Dask LocalCluster (Debian python3-distributed, installed when
# missing and this is root with apt-get), reduce with `jtlscope merge` in the inputs' order.
#
#   dask_merge TIMEOUT_S BIN MERGED INPUT...
#       0  MERGED written (the summaries in ./dask/, the log in ./dask.out)
#       1  the run failed (see ./dask.out)
#       2  Dask is not installed and cannot be installed here
# Writes ./dask_merge.py; runs in the current folder.

dask_python() { # prints a python3 that imports distributed, or nothing
	for c in /usr/bin/python3 python3; do
		if "$c" -c 'import distributed' >/dev/null 2>&1; then
			echo "$c"
			return
		fi
	done
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-distributed >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-distributed >/dev/null 2>&1; }
		/usr/bin/python3 -c 'import distributed' >/dev/null 2>&1 && echo /usr/bin/python3
	fi
}

dask_merge() {
	dask_timeout=$1 dask_bin=$2 dask_out=$3
	shift 3
	dask_py=$(dask_python)
	[ -n "$dask_py" ] || return 2
	cat >dask_merge.py <<'PYEOF'
# Map `jtlscope summarize` over the inputs on a Dask LocalCluster, reduce with `jtlscope merge`
# in the inputs' order (the order one pass reads them in).
import os, subprocess, sys
from distributed import Client, LocalCluster

def summarize(binary, path, outdir):
    out = os.path.join(outdir, os.path.basename(path) + ".json")
    subprocess.run([binary, "summarize", "-q", path, "-o", out], check=True)
    return out

if __name__ == "__main__":
    binary, outdir, merged, inputs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(outdir, exist_ok=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        parts = client.gather(client.map(summarize, [binary] * len(inputs), inputs,
                                         [outdir] * len(inputs)))
    with open(merged, "w") as f:
        subprocess.run([binary, "merge", "--format", "json"] + parts, check=True, stdout=f)
PYEOF
	timeout "$dask_timeout" "$dask_py" dask_merge.py "$dask_bin" dask "$dask_out" "$@" >dask.out 2>&1 || return 1
}
