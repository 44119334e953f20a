# No Pacemaker resources; the lab runs a MaxScale on every node (no VIP).
# lab-maxscale: n1 n2 n3
true
