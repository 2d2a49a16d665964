# dom0 side: selfballoon-dom0 (installed by dom0's runner from --debs) while
# the guest's daemon runs. Both outputs stay in the results for check.sh.
e2e_cmd_dom0_view() {
	command -v selfballoon-dom0 >/dev/null 2>&1 || { echo "selfballoon-dom0 is not installed in dom0"; return 127; }
	selfballoon-dom0 --json >"$R/dom0-view.json" 2>"$R/dom0-view.err"
	echo "json exit $?" >>"$R/dom0-view.err"
	selfballoon-dom0 >"$R/dom0-view.txt" 2>>"$R/dom0-view.err"
	rc=$?
	# the header and this guest's row
	head -n 1 "$R/dom0-view.txt"
	awk -v id="$DOMID" '$1 == id' "$R/dom0-view.txt"
	return $rc
}
