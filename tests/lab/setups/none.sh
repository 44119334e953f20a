# No Pacemaker resources; the lab runs a MaxScale on every node (no VIP).
# lab-maxscale: all
true
