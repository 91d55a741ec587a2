/* Times two commands as whole processes, pair by pair: round i runs both (the order alternates
   from round to round), each from posix_spawn to waitpid, stdout to /dev/null. Prints one CSV
   line per run: round,name,microseconds. Exits non-zero if a run fails.
   Usage: pairs ROUNDS NAME_A CMD_A... -- NAME_B CMD_B... */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double run(char **argv) {
    posix_spawn_file_actions_t actions;
    struct timespec start, end;
    pid_t pid;
    int status;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (posix_spawn(&pid, argv[0], &actions, NULL, argv, environ) != 0) return -1;
    while (waitpid(pid, &status, 0) < 0) {}
    clock_gettime(CLOCK_MONOTONIC, &end);
    posix_spawn_file_actions_destroy(&actions);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 6) return 2;
    int rounds = atoi(argv[1]), split = 0;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) split = i;
    if (split < 4 || split + 2 >= argc) return 2;
    argv[split] = NULL;
    char *names[2] = {argv[2], argv[split + 1]};
    char **commands[2] = {argv + 3, argv + split + 2};
    for (int round = 1; round <= rounds; round++) {
        for (int k = 0; k < 2; k++) {
            int which = (round + k) % 2;
            double micros = run(commands[which]);
            if (micros < 0) {
                fprintf(stderr, "pairs: %s failed in round %d\n", names[which], round);
                return 1;
            }
            printf("%d,%s,%.0f\n", round, names[which], micros);
        }
    }
    return 0;
}
