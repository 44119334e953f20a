#!/usr/bin/env bash
# packaging/test.sh - install the .deb that packaging/build.sh made and check it as a user would
# (Debian 12, root). Run packaging/build.sh first.
#
#   dpkg -i (twice: reinstalling the same or a rebuilt package must work), dpkg -L layout,
#   modes, `<agent> --version` = the workspace version, meta-data = metadata/<agent>.xml,
#   crm ra info, pcs resource describe, crm_resource --validate (0 for a good vip, 6 for
#   ip=300.1.1.1), man -l / man -w, and rpm -qlp of the .rpm: the same paths.
#
# The package stays installed afterwards (the lab may run from it). Needs no running cluster.
# Output: PASS/FAIL lines and "N passed, N failed"; exit 1 if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$top/tests/lib/common.sh"
need_root
need_cmd dpkg dpkg-deb dpkg-query rpm crm pcs crm_resource man gzip

PKG=resource-agents-mariadb
AGENTS=(vip maxscale galera-sync galera)
OCF_DIR=/usr/lib/ocf/resource.d/mariadb
DOC=/usr/share/doc/$PKG
target=${CARGO_TARGET_DIR:-$top/target}
[[ $target == /* ]] || target=$top/$target
out=$target/packages

version=$(awk '/^\[workspace\.package\]/ {s=1; next} /^\[/ {s=0}
               s && $1 == "version" {gsub(/"/, "", $3); print $3; exit}' "$top/Cargo.toml")
[[ -n $version ]] || die "no [workspace.package] version in $top/Cargo.toml"

shopt -s nullglob
debs=("$out/${PKG}_${version}-"*.deb)
rpms=("$out/${PKG}-${version}-"*.rpm)
shopt -u nullglob
(( ${#debs[@]} == 1 )) || die "expected one ${PKG}_${version}-*.deb in $out (run packaging/build.sh)"
(( ${#rpms[@]} == 1 )) || die "expected one ${PKG}-${version}-*.rpm in $out (run packaging/build.sh)"
deb=${debs[0]} rpmfile=${rpms[0]}
log "testing $deb and $rpmfile (version $version)"

tmp=$(mktemp -d /tmp/packaging-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# what both packages must install (files, not directories)
expected() {
    local a f
    for a in "${AGENTS[@]}"; do echo "$OCF_DIR/$a"; done
    for a in "${AGENTS[@]}"; do echo "/usr/share/man/man7/ocf_mariadb_$a.7.gz"; done
    echo "$DOC/README.md" "$DOC/migration.md" "$DOC/failures.md" | tr ' ' '\n'
    for f in "$top"/packaging/examples/*; do echo "$DOC/examples/${f##*/}"; done
}
expected | sort >"$tmp/expected"

# dpkg -L without directories
installed_files() {
    local p
    dpkg -L "$PKG" | while read -r p; do [[ -d $p ]] || echo "$p"; done | sort
}

same_list() { # same_list WHAT EXPECTED_FILE ACTUAL_FILE
    if ! diff -u "$2" "$3" >"$tmp/diff"; then
        t_fail "$1 differs from the expected layout: $(tr '\n' ' ' <"$tmp/diff")"
        return 1
    fi
}

dpkg_install() {
    if ! dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
        sed 's/^/    /' "$tmp/dpkg.log"
        return 1
    fi
}

t_begin "dpkg -i installs $(basename "$deb")"
assert_rc 0 dpkg_install
assert_eq "install ok installed $version-1" \
    "$(dpkg-query -W -f='${Status} ${Version}' "$PKG" 2>&1)" "dpkg-query status and version"

t_begin "dpkg -i of the same (or a rebuilt) package again succeeds"
assert_rc 0 dpkg_install
assert_eq "install ok installed" "$(dpkg-query -W -f='${Status}' "$PKG" 2>&1)" "status"

t_begin "the .deb declares its dependencies"
depends=$(dpkg-deb -f "$deb" Depends)
[[ $depends == *pacemaker-cli-utils* ]] || t_fail "Depends lacks pacemaker-cli-utils: $depends"
# the shared libraries of the dynamic agents, as dpkg-shlibdeps sees them, are all declared
# (Depends is written out, not "$auto": see packaging/Cargo.toml)
if command -v dpkg-shlibdeps >/dev/null; then
    mkdir -p "$tmp/shlibs/debian" && : >"$tmp/shlibs/debian/control"
    shlibs=$(cd "$tmp/shlibs" && dpkg-shlibdeps -O -e/usr/lib/ocf/resource.d/mariadb/maxscale \
        -e/usr/lib/ocf/resource.d/mariadb/galera-sync 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
    [[ -n $shlibs ]] || t_fail "dpkg-shlibdeps found nothing for the dynamic agents"
    IFS=, read -r -a libs <<<"$shlibs"
    for l in "${libs[@]}"; do
        l=${l# }
        [[ ", $depends," == *", $l,"* ]] || t_fail "Depends ($depends) lacks $l, which dpkg-shlibdeps requires"
    done
else
    [[ $depends == *libc6* ]] || t_fail "Depends lacks libc6: $depends"
fi
assert_eq "admin optional" "$(dpkg-deb -f "$deb" Section Priority | awk '{print $2}' | paste -sd' ')" \
    "Section, Priority"

t_begin "dpkg -L: agents, man pages, docs and examples where they belong"
installed_files >"$tmp/deb-files"
# the Debian copyright file is the one path only the .deb has
grep -vx "$DOC/copyright" "$tmp/deb-files" >"$tmp/deb-files-nc"
grep -qx "$DOC/copyright" "$tmp/deb-files" || t_fail "$DOC/copyright missing"
same_list "dpkg -L $PKG" "$tmp/expected" "$tmp/deb-files-nc"
while read -r f; do
    [[ -e $f ]] || t_fail "$f is listed but not on disk (a dpkg path-exclude in /etc/dpkg/dpkg.cfg.d?)"
done <"$tmp/deb-files"

t_begin "the agents are root-owned and mode 0755"
for a in "${AGENTS[@]}"; do
    assert_eq "755 root root" "$(stat -c '%a %U %G' "$OCF_DIR/$a" 2>&1)" "$OCF_DIR/$a"
done

t_begin "each installed agent answers --version with the workspace version"
for a in "${AGENTS[@]}"; do
    assert_eq "$a $version" "$("$OCF_DIR/$a" --version 2>&1)" "$a --version"
done

t_begin "each installed agent prints the checked-in meta-data"
for a in "${AGENTS[@]}"; do
    if ! "$OCF_DIR/$a" meta-data >"$tmp/$a.xml" 2>"$tmp/$a.err"; then
        t_fail "$a meta-data failed: $(cat "$tmp/$a.err")"
    elif ! cmp -s "$tmp/$a.xml" "$top/metadata/$a.xml"; then
        t_fail "$a meta-data differs from metadata/$a.xml (rebuild the package?)"
    fi
done

t_begin "crm ra info ocf:mariadb:maxscale"
if crm ra info ocf:mariadb:maxscale >"$tmp/crm-info" 2>&1; then
    grep -q 'MaxScale' "$tmp/crm-info" || t_fail "no shortdesc in: $(head -3 "$tmp/crm-info")"
    grep -q 'admin_password_file' "$tmp/crm-info" || t_fail "parameter admin_password_file not shown"
    grep -q 'promote' "$tmp/crm-info" || t_fail "action promote not shown"
else
    t_fail "crm ra info failed: $(head -5 "$tmp/crm-info")"
fi

t_begin "pcs resource describe ocf:mariadb:vip"
if pcs resource describe ocf:mariadb:vip >"$tmp/pcs-describe" 2>&1; then
    grep -Eq '^ *ip \(required\)' "$tmp/pcs-describe" || t_fail "ip (required) not shown: $(head -12 "$tmp/pcs-describe")"
    grep -q 'cidr_netmask' "$tmp/pcs-describe" || t_fail "cidr_netmask not shown"
else
    t_fail "pcs resource describe failed: $(head -5 "$tmp/pcs-describe")"
fi

validate_vip() {
    crm_resource --validate --class ocf --provider mariadb --agent vip \
        --option "ip=$1" --option nic=lo --option cidr_netmask=32 >"$tmp/validate" 2>&1
}
t_begin "crm_resource --validate: a good vip is 0"
assert_rc 0 validate_vip 127.0.0.80 || sed 's/^/    /' "$tmp/validate"

t_begin "crm_resource --validate: ip=300.1.1.1 is 6 (not configured) with a reason"
assert_rc 6 validate_vip 300.1.1.1 || sed 's/^/    /' "$tmp/validate"
grep -q '300\.1\.1\.1' "$tmp/validate" || t_fail "the output does not name the address: $(cat "$tmp/validate")"

t_begin "man -l renders the installed pages without warnings; man -w finds them"
for a in "${AGENTS[@]}"; do
    page=/usr/share/man/man7/ocf_mariadb_$a.7.gz
    if ! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" >"$tmp/man.out" 2>"$tmp/man.err"; then
        t_fail "man -l $page failed: $(cat "$tmp/man.err")"
        continue
    fi
    [[ -s $tmp/man.err ]] && t_fail "man -l $page warns: $(cat "$tmp/man.err")"
    grep -q "ocf_mariadb_$a" "$tmp/man.out" || t_fail "man -l $page: no NAME line for ocf_mariadb_$a"
    assert_eq "$page" "$(man -w 7 "ocf_mariadb_$a" 2>&1)" "man -w 7 ocf_mariadb_$a"
done

t_begin "rpm -qlp lists the same paths as the .deb"
if rpm -qlp "$rpmfile" 2>"$tmp/rpm.err" | sort >"$tmp/rpm-files"; then
    same_list "rpm -qlp" "$tmp/deb-files-nc" "$tmp/rpm-files"
else
    t_fail "rpm -qlp failed: $(cat "$tmp/rpm.err")"
fi

t_begin "the .rpm: workspace version, agents 0755, Requires pacemaker-cli"
assert_eq "$version" "$(rpm -qp --queryformat '%{VERSION}' "$rpmfile" 2>&1)" "rpm version"
rpm -qlvp "$rpmfile" 2>/dev/null | awk -v d="$OCF_DIR/" 'index($NF, d) == 1 {print $1, $NF}' >"$tmp/rpm-modes"
for a in "${AGENTS[@]}"; do
    grep -qx -- "-rwxr-xr-x $OCF_DIR/$a" "$tmp/rpm-modes" || t_fail "$OCF_DIR/$a is not -rwxr-xr-x in the rpm"
done
rpm -qp --requires "$rpmfile" 2>/dev/null | grep -x 'pacemaker-cli' >/dev/null \
    || t_fail "the rpm does not require pacemaker-cli"

t_summary
