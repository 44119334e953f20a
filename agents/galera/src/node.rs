//! One action's view of this node: the configuration, the cluster, the state file, and the
//! position of the local data. Shared by every action.

use std::path::Path;
use std::time::{Duration, Instant};

use galera_lifecycle::{
    elect, recover, DataStamp, Decision, Election, Facts, LocalState, NodeState, Recovered, Report,
    Reported, Wait,
};
use ocf::state::StateFile;
use ocf::Context;

use crate::cluster::{node_state, Cluster, Names, Published};
use crate::config::Config;
use crate::error::GaleraError;
use crate::fencing::{Fencing, NotFenced};
use crate::monitor::SCORE_JOIN;
use crate::state::{now_secs, State};

/// How long after a peer's fencing this node may still have seen its old Primary component:
/// Galera notices a lost member only after its own timeouts (evs.suspect_timeout 5 s,
/// evs.inactive_timeout 15 s by default), which may end after Pacemaker's fence. A Primary
/// seen later than this after the fence means the peer came back and was a member again.
pub const FENCE_VIEW_SLACK: u64 = 60;

/// An election and, in two_node_mode, why the missing peer does not count as fenced.
pub struct Outcome {
    pub election: Election,
    pub not_fenced: Option<NotFenced>,
}

impl Outcome {
    /// The decision as text for the wait attribute and exit reasons (at most 128 bytes).
    pub fn why(&self) -> String {
        let mut text = self.election.decision.to_string();
        if let (Decision::Wait(Wait::PeerNotFenced { .. }), Some(n)) =
            (&self.election.decision, &self.not_fenced)
        {
            text.push_str(&format!(" ({n})"));
        }
        ocf::reason::truncate(&text, ocf::reason::PACEMAKER_LIMIT)
    }
}

pub struct Node<'a> {
    pub ctx: &'a Context,
    pub cfg: Config,
    pub cluster: &'a dyn Cluster,
    pub names: Names,
    /// This node's Pacemaker name.
    pub name: String,
    file: StateFile,
    /// The state's Primary record, kept across stop and start (two_node_mode).
    primary_file: StateFile,
    /// The recovered position and its datadir stamp, kept across a stop for the next start.
    recovered_file: StateFile,
}

impl<'a> Node<'a> {
    pub fn new(ctx: &'a Context, cluster: &'a dyn Cluster) -> Result<Node<'a>, GaleraError> {
        let cfg = Config::from_params(&ctx.params)?;
        let name = match ctx.env.node_name() {
            Some(n) => n.to_string(),
            None => cluster.local_node().map_err(|e| {
                tracing::warn!("crm_node -n: {e}");
                GaleraError::NoNodeName
            })?,
        };
        if !cfg.nodes.iter().any(|(n, _)| *n == name) {
            return Err(GaleraError::UnknownNode {
                node: name,
                nodes: cfg.node_names().join(","),
            });
        }
        // The records kept across a stop are named by the resource, not the clone instance: an
        // anonymous clone's instance number on a node may differ after a stop and start.
        let resource = ctx.instance().split(':').next().unwrap_or(ctx.instance());
        Ok(Node {
            names: Names::for_instance(ctx.instance()),
            file: StateFile::new(&ctx.env, ctx.info.name, ctx.instance(), "state"),
            primary_file: StateFile::new(&ctx.env, ctx.info.name, resource, "primary"),
            recovered_file: StateFile::new(&ctx.env, ctx.info.name, resource, "recovered"),
            ctx,
            cfg,
            cluster,
            name,
        })
    }

    pub fn check_installed(&self) -> Result<(), GaleraError> {
        self.cfg.check_installed()
    }

    // ---- the state file ----

    pub fn load(&self) -> Option<State> {
        self.file.read().map(|t| State::parse(&t))
    }

    pub fn save(&self, st: &State) -> Result<(), GaleraError> {
        self.file
            .write(&st.render())
            .map_err(|source| GaleraError::StateFile {
                path: self.file.path().to_path_buf(),
                source,
            })
    }

    /// The Primary record an earlier stop kept (`primary_at`, `left_primary`).
    pub fn load_primary_record(&self) -> State {
        self.primary_file
            .read()
            .map(|t| State::parse(&t))
            .unwrap_or_default()
    }

    /// Keeps `st`'s Primary record for the next start (a failure only loses availability in
    /// two_node_mode: without a record the survivor waits).
    pub fn keep_primary_record(&self, st: &State) {
        if st.primary_at.is_none() {
            return;
        }
        if let Err(e) = self.primary_file.write(&st.primary_record()) {
            tracing::warn!("cannot write {}: {e}", self.primary_file.path().display());
        }
    }

    /// Keeps `st`'s recovered position for the next start, or drops an older one when `st`
    /// has none vouched for by a stamp.
    pub fn keep_recovered(&self, st: Option<&State>) {
        let record = st.map(State::recovered_record).unwrap_or_default();
        let done = if record.is_empty() {
            self.recovered_file.remove()
        } else {
            self.recovered_file.write(&record)
        };
        if let Err(e) = done {
            tracing::warn!("{}: {e}", self.recovered_file.path().display());
        }
    }

    /// The position a recovery before the last stop gave, if the datadir is unchanged since
    /// (a server start would have written it). Taken once: the record is removed.
    pub fn take_kept_recovered(&self) -> Option<Recovered> {
        let kept = State::parse(&self.recovered_file.read()?);
        let _ = self.recovered_file.remove();
        let record = kept.recovered.as_ref()?;
        let stamp = record.stamp.as_deref().and_then(DataStamp::parse)?;
        let r = kept.recovered()?;
        if !stamp.holds(&self.cfg.server) {
            tracing::info!(
                "the datadir changed since {} was recovered: recovering again",
                r.position
            );
            return None;
        }
        tracing::info!(
            "{}: the position recovered before the stop (the datadir is unchanged since)",
            r.position
        );
        Some(r)
    }

    /// The datadir's stamp, vouching for `local`'s recovered position (taken in the action
    /// that recovered or checked it, before any server may start).
    pub fn stamp(&self, local: &LocalState) -> Option<String> {
        local.recovered.as_ref()?;
        match DataStamp::of(&self.cfg.server) {
            Ok(s) => Some(s.to_string()),
            Err(e) => {
                tracing::warn!("no stamp of {}: {e}", self.cfg.server.datadir.display());
                None
            }
        }
    }

    pub fn remove_state(&self) -> Result<(), GaleraError> {
        self.file.remove().map_err(|source| GaleraError::StateFile {
            path: self.file.path().to_path_buf(),
            source,
        })
    }

    // ---- publishing (only on change; a cluster tool failure is a warning, retried) ----

    pub fn publish_state(&self, st: &mut State, value: &Published) {
        let v = value.to_string();
        if st.published.as_deref() == Some(v.as_str()) {
            return;
        }
        match self.cluster.set(&self.name, &self.names.state, &v) {
            Ok(()) => {
                tracing::info!("{}={v}", self.names.state);
                st.published = Some(v);
            }
            Err(e) => {
                tracing::warn!(
                    "cannot publish {}={v} ({e}); retrying at the next monitor",
                    self.names.state
                );
                st.published = None;
            }
        }
    }

    pub fn publish_wait(&self, st: &mut State, why: Option<&str>) {
        if st.wait.as_deref() == why {
            return;
        }
        let r = match why {
            Some(w) => {
                tracing::info!("{}: {w}", self.names.wait);
                self.cluster.set(&self.name, &self.names.wait, w)
            }
            None => self.cluster.delete(&self.name, &self.names.wait),
        };
        match r {
            Ok(()) => st.wait = why.map(str::to_string),
            Err(e) => {
                tracing::warn!("cannot publish {} ({e})", self.names.wait);
                st.wait = Some("?".into());
            }
        }
    }

    pub fn publish_health(&self, st: &mut State, value: u8, why: &str) {
        if st.health == Some(value) {
            return;
        }
        let attr = &self.cfg.health_attribute;
        match self.cluster.set(&self.name, attr, &value.to_string()) {
            Ok(()) => {
                tracing::info!("{attr}={value}: {why}");
                st.health = Some(value);
            }
            Err(e) => {
                tracing::warn!("cannot publish {attr}={value} ({e})");
                st.health = None;
            }
        }
    }

    pub fn publish_score(&self, st: &mut State, score: Option<i64>) {
        if st.score == score && st.score.is_some() {
            return;
        }
        match self.cluster.set_score(&self.name, score) {
            Ok(()) => st.score = score,
            Err(e) => {
                tracing::warn!("cannot set the promotion score ({e})");
                st.score = None;
            }
        }
    }

    /// Removes everything this instance published.
    pub fn unpublish(&self) {
        for name in [
            &self.names.state,
            &self.names.wait,
            &self.cfg.health_attribute,
        ] {
            if let Err(e) = self.cluster.delete(&self.name, name) {
                tracing::warn!("cannot remove {name} ({e})");
            }
        }
        if let Err(e) = self.cluster.set_score(&self.name, None) {
            tracing::warn!("cannot remove the promotion score ({e})");
        }
    }

    // ---- the local position ----

    /// What is on disk, with the position `--wsrep-recover` gave earlier (`recovered`, from
    /// the state file or the record a stop kept) or gives now (bounded by `deadline`; never
    /// on a datadir in use).
    pub fn local_state(
        &self,
        recovered: Option<Recovered>,
        deadline: Instant,
    ) -> Result<LocalState, GaleraError> {
        let mut local = LocalState::read(&self.cfg.server)?;
        local.recovered = recovered;
        if local.needs_recovery() {
            tracing::info!(
                "running --wsrep-recover on {}",
                self.cfg.server.datadir.display()
            );
            let r = recover(&self.cfg.server, self.cfg.prepared, deadline)?;
            if let Some(n) = r.rolled_back {
                tracing::warn!("rolled back {n} prepared transaction(s) to recover the position");
            }
            tracing::info!("recovered {} in {:?}", r.position, r.elapsed);
            local.recovered = Some(r);
        }
        Ok(local)
    }

    pub fn report(local: &LocalState) -> Report {
        Report::from_local(local.grastate.as_ref(), local.recovered.as_ref()).unwrap_or(
            // No grastate.dat and no data: nothing to lose, nothing to offer.
            Report {
                position: Reported::Untrusted { recovered: None },
                safe_to_bootstrap: false,
                rolled_back: false,
            },
        )
    }

    // ---- the election ----

    /// Every configured node's state as the election counts it: `own` for this node, the
    /// published attribute for the others.
    pub fn node_states(&self, own: NodeState) -> Vec<(String, NodeState)> {
        self.cfg
            .nodes
            .iter()
            .map(|(n, host)| {
                if *n == self.name {
                    return (n.clone(), own.clone());
                }
                let text = self.cluster.get(n, &self.names.state).unwrap_or_else(|e| {
                    tracing::warn!("cannot read {n}'s {} ({e})", self.names.state);
                    None
                });
                let state = match node_state(text.as_deref()) {
                    // A "primary" outlives a killed mariadbd until that node's own monitor:
                    // joining it would wait for a Primary that is gone (the lab's kill -9 of
                    // every node: 106 s instead of 18). Believed while its port answers.
                    NodeState::Primary if !self.cluster.galera_answers(host) => {
                        tracing::info!(
                            "{n} publishes primary, but its Galera port ({host}) does not \
                             answer: counted as not reported"
                        );
                        NodeState::Missing
                    }
                    s => s,
                };
                (n.clone(), state)
            })
            .collect()
    }

    /// After a bootstrap, and once each join has settled (promote.rs): the first peer
    /// (in configuration order) that has reported its position (its instance runs Unpromoted)
    /// gets the join score now, as its own next monitor would give it (with a Primary, the
    /// election answers Join for every node), so Pacemaker promotes it in the next transition
    /// instead of a monitor interval later. One at a time (see promote.rs); its promote runs
    /// the election again and refuses what it must. A peer whose own monitor scores itself
    /// first may still join beside another: slower, never unsafe.
    pub fn invite_next_joiner(&self) {
        let next = self
            .node_states(NodeState::Primary)
            .into_iter()
            .find(|(peer, state)| *peer != self.name && matches!(state, NodeState::Reported(_)));
        if let Some((peer, _)) = next {
            self.give_score(&peer, SCORE_JOIN, "may join");
        }
    }

    /// Sets a peer's promotion score (its own runs own it from then on); whether it was set.
    pub fn give_score(&self, peer: &str, score: i64, why: &str) -> bool {
        match self.cluster.set_score(peer, Some(score)) {
            Ok(()) => {
                tracing::info!("{peer} {why}: promotion score {score}");
                true
            }
            Err(e) => {
                tracing::warn!("cannot give {peer} its promotion score {score} ({e})");
                false
            }
        }
    }

    /// The election over every configured node: this node as `own`, the peers as they
    /// published themselves; in two_node_mode, a peer that has not reported is asked after
    /// (its fencing: child processes only then).
    pub fn election(&self, own: NodeState, st: &State) -> Outcome {
        let nodes = self.node_states(own);
        let quorate = self.cluster.quorate().unwrap_or_else(|e| {
            tracing::warn!("cannot read quorum ({e}): counted as no quorum");
            false
        });
        let mut fenced = Vec::new();
        let mut not_fenced = None;
        if self.cfg.policy.two_node_mode {
            for (n, _) in nodes
                .iter()
                .filter(|(n, s)| *n != self.name && *s == NodeState::Missing)
            {
                match self.peer_fencing(n, st) {
                    Fencing::Fenced { at } => {
                        tracing::info!("{n} is fenced (at {at}) and not a member");
                        fenced.push(n.clone());
                    }
                    Fencing::NotFenced(why) => {
                        tracing::info!("{n} does not count as fenced: {why}");
                        not_fenced = Some(why);
                    }
                }
            }
        }
        let facts = Facts {
            local: self.name.clone(),
            quorate,
            fenced,
            waited: Duration::from_secs(now_secs().saturating_sub(st.started)),
            operator_override: self.cfg.force_bootstrap.clone(),
        };
        Outcome {
            election: elect(&nodes, &facts, &self.cfg.policy),
            not_fenced,
        }
    }

    /// The cluster's answer, checked against this node's own history: the fence must come
    /// after this node last ran in a Primary component (else the peer was a member again
    /// since), and this node must not have left that component cleanly (else the peer may
    /// have committed alone after it).
    fn peer_fencing(&self, peer: &str, st: &State) -> Fencing {
        let f = self.cluster.fencing(peer);
        let Fencing::Fenced { at } = f else {
            return f;
        };
        match st.primary_at {
            None => Fencing::NotFenced(NotFenced::NoPrimaryRecord),
            Some(_) if st.left_primary => Fencing::NotFenced(NotFenced::LeftPrimary),
            Some(p) if at.saturating_add(FENCE_VIEW_SLACK) < p => {
                Fencing::NotFenced(NotFenced::BeforeLastPrimary)
            }
            Some(_) => f,
        }
    }

    /// Two-node mode: the peer when it is fenced (as the election counts it) and this
    /// partition is quorate. A survivor outside the Primary component then need not wait out
    /// non_primary_grace: nobody else can be Primary, and only a restart lets it bootstrap.
    pub fn two_node_peer_fenced(&self, st: &State) -> Option<String> {
        if !self.cfg.policy.two_node_mode {
            return None;
        }
        let peer = self
            .cfg
            .nodes
            .iter()
            .map(|(n, _)| n)
            .find(|n| **n != self.name)?;
        let fenced = matches!(self.peer_fencing(peer, st), Fencing::Fenced { .. });
        (fenced && self.cluster.quorate().unwrap_or(false)).then(|| peer.clone())
    }

    /// Creates the socket's and pid file's directories (on tmpfs, empty after a boot).
    pub fn ensure_run_dirs(&self) {
        for f in [&self.cfg.server.socket, &self.cfg.server.pid_file] {
            let Some(dir) = f.parent().filter(|d| !d.exists()) else {
                continue;
            };
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::warn!("cannot create {}: {e}", dir.display());
                continue;
            }
            chown(dir, &self.cfg.server.user, &self.cfg.group);
        }
    }
}

fn chown(dir: &Path, user: &str, group: &str) {
    let uid = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .map(|u| u.uid);
    let gid = nix::unistd::Group::from_name(group)
        .ok()
        .flatten()
        .map(|g| g.gid);
    if let Err(e) = nix::unistd::chown(dir, uid, gid) {
        tracing::warn!("cannot chown {} to {user}:{group}: {e}", dir.display());
    }
}
