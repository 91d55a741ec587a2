#ifndef HERALD_CSPAWN_H
#define HERALD_CSPAWN_H

#include <signal.h>
#include <spawn.h>

/* glibc 2.34+ declares this only under _GNU_SOURCE, which Swift's Glibc module is not built
   with; the symbol is in every glibc Herald runs on (Debian 12 has 2.36). */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/* Adds "close every descriptor from `from` up" to `actions`: a spawned child then inherits only
   what the other actions set up, whatever other threads opened meanwhile without close-on-exec. */
static inline int herald_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

/* Sets `attributes` so that the child starts with no signal blocked and the signals a process
   expects to find at their default disposition (the spawning thread, a Dispatch or cooperative
   pool thread, blocks most signals, and Herald ignores some): a child that inherited them would
   never see SIGTERM or SIGHUP. `flags` adds POSIX_SPAWN_* flags (SETPGROUP, say). */
static inline int herald_spawn_default_signals(posix_spawnattr_t *attributes, short flags) {
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(attributes, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    const int signals[] = {SIGTERM, SIGHUP, SIGINT, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&defaults, signals[i]);
    posix_spawnattr_setsigdefault(attributes, &defaults);
    return posix_spawnattr_setflags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | flags));
}

#endif
