/* The comparison client of Benchmarks/leader-oneshot: sends {"op":"get"} to a Herald socket and
   prints the leader as host:port, what `herald leader --socket PATH` prints. No error handling
   beyond exit codes: it is a floor, not a tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    static char line[1 << 16];
    size_t length = 0;
    ssize_t count;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (argc < 2) return 2;
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 3;
    if (write(fd, "{\"op\":\"get\"}\n", 13) != 13) return 3;
    while (!memchr(line, '\n', length) && (count = read(fd, line + length, sizeof line - 1 - length)) > 0)
        length += (size_t)count;
    line[length] = 0;
    char *leader = strstr(line, "\"leader\":{"), *ip, *port;
    if (!leader || !(ip = strstr(leader, "\"ip\":\"")) || !(port = strstr(leader, "\"port\":"))) return 1;
    printf("%.*s:%d\n", (int)strcspn(ip + 6, "\""), ip + 6, atoi(port + 7));
    return 0;
}
