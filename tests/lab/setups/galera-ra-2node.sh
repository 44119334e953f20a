# setups/galera-ra.sh on a two-node lab (NODES=2 tests/lab/lab up: corosync two_node), with
# ocf:heartbeat:galera's two_node_mode=true: after a split, the node that fenced its peer may
# bootstrap Galera alone (scenario j7). Fencing is what makes this safe: the fenced peer boots
# without quorum (two_node implies wait_for_all) and cannot start Galera until it has seen this
# node. The same commands as setups/galera-ra.sh with two nodes in the addresses (MaxScale's
# servers list keeps galera3: in a promotable clone a missing server only lowers every
# instance's promotion score alike).
# lab-needs: maxscale vip galera-sync heartbeat:galera
# lab-galera: pacemaker
# lab-boot: none
# the fence race of a split: fencing n1 waits 10 s, so n1 fences n2 first and survives (one
# device for both nodes, a per-node static delay: pcmk_delay_base's host-map form)
crm resource param fence-lab set pcmk_delay_base "n1:10s;n2:0s"
grep -v '^#' "$LAB_SETUPS/galera-ra.sh" | sed \
    -e 's#gcomm://10.200.0.1,10.200.0.2,10.200.0.3#gcomm://10.200.0.1,10.200.0.2#' \
    -e 's#;n3:10.200.0.3"#" two_node_mode=true#' \
    -e 's#promoted-max=3#promoted-max=2#' | bash -e
