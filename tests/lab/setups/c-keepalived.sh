# Scenario (c), seeds 001/004 literally: no Pacemaker resources; MaxScale runs on n1 and n2
# (started by the lab, as systemd would), Keepalived on both with
#   vrrp_script: maxscale keepalived-check --params /etc/keepalived/maxscale.params
#   notify:      maxscale keepalived-notify --params /etc/keepalived/maxscale.params
# (see `lab exec n1 cat /etc/keepalived/keepalived.conf`).
# lab-needs: maxscale
# lab-maxscale: n1 n2
# lab-keepalived: n1:MASTER:150 n2:BACKUP:100
true
