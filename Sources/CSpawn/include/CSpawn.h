#ifndef HERALD_CSPAWN_H
#define HERALD_CSPAWN_H

#include <spawn.h>

/* glibc 2.34+ declares this only under _GNU_SOURCE, which Swift's Glibc module is not built
   with; the symbol is in every glibc Herald runs on (Debian 12 has 2.36). */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/* Adds "close every descriptor from `from` up" to `actions`: a spawned child then inherits only
   what the other actions set up, whatever other threads opened meanwhile without close-on-exec. */
static inline int herald_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

#endif
