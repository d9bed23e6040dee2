//! The monitors of a proxy: one per Galera cluster, keyed by the cluster's node list, shared
//! by every backend user and every database that lists those nodes, started on first use and
//! kept across reloads (so its writer is). A reload changes a kept monitor's settings and
//! logins in place; a monitor whose node list is no longer configured is retired, and the
//! monitor that replaces it (a changed node list) starts on the writer it had chosen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use articdbm_config::{BackendAddr, Config, GaleraSettings};

use super::monitor::{GaleraMonitor, Login};
use crate::backend::target::BackendTarget;

/// Writers of retired monitors remembered for their successors.
const MAX_HANDED_OVER: usize = 16;

#[derive(Debug, Default)]
pub struct GaleraMonitors {
    monitors: Mutex<HashMap<Vec<BackendAddr>, Arc<GaleraMonitor>>>,
    /// Writers of monitors retired by a reload, for the monitor that replaces them.
    handed_over: Mutex<Vec<BackendAddr>>,
}

impl GaleraMonitors {
    /// The monitor of the cluster `nodes`, started on first use; `target`'s login is added
    /// to the ones it polls with, and `settings` replace its own (the writer stays).
    pub fn get_or_start(
        &self,
        nodes: &[BackendAddr],
        settings: GaleraSettings,
        target: &BackendTarget,
    ) -> Arc<GaleraMonitor> {
        let login = Login::of(target);
        let mut map = self.monitors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = map.get(nodes) {
            m.set_settings(settings);
            m.add_login(login);
            return Arc::clone(m);
        }
        let writer = {
            let mut handed = self.handed_over.lock().unwrap_or_else(|p| p.into_inner());
            let found = handed
                .iter()
                .enumerate()
                .find_map(|(h, addr)| nodes.iter().position(|n| n == addr).map(|i| (h, i)));
            found.map(|(h, i)| {
                handed.remove(h);
                i
            })
        };
        if let Some(w) = writer {
            tracing::info!(writer = %nodes[w], "galera cluster nodes changed; keeping its writer");
        }
        let monitor = GaleraMonitor::start(nodes.to_vec(), settings, login, writer);
        map.insert(nodes.to_vec(), Arc::clone(&monitor));
        monitor
    }

    /// Brings the monitors in line with a new configuration (a reload): a cluster still
    /// configured keeps its monitor with the new settings and only the logins the new
    /// configuration still allows; the others are retired.
    pub fn reconfigure(&self, config: &Config) {
        let mut map = self.monitors.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|nodes, monitor| {
            let databases: Vec<_> = config
                .databases
                .values()
                .filter(|db| db.galera().is_some() && db.backends() == *nodes)
                .collect();
            let Some(settings) = databases.first().and_then(|db| db.galera()) else {
                if let Some(w) = monitor.writer() {
                    let mut handed = self.handed_over.lock().unwrap_or_else(|p| p.into_inner());
                    if handed.len() >= MAX_HANDED_OVER {
                        handed.remove(0);
                    }
                    handed.push(nodes[w].clone());
                }
                monitor.retire();
                tracing::info!(
                    nodes = nodes.len(),
                    "galera cluster no longer configured; its monitor stops"
                );
                return false;
            };
            monitor.set_settings(settings);
            // A known user keeps polling with the password the new configuration gives it;
            // a database's own `user` is a login at once.
            monitor.update_logins(|login| {
                databases
                    .iter()
                    .find(|db| db.user.as_deref().is_none_or(|u| u == login.user))
                    .map(|db| Login {
                        user: login.user.clone(),
                        password: db.password.clone(),
                    })
            });
            for db in &databases {
                if let Some(user) = &db.user {
                    monitor.add_login(Login {
                        user: user.clone(),
                        password: db.password.clone(),
                    });
                }
            }
            true
        });
    }

    /// Stops every monitor (shutdown).
    pub fn stop_all(&self) {
        self.monitors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
