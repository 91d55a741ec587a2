/* The floor of Benchmarks/dns-responder: the least a UDP DNS server can do for each query. One
   thread, a blocking recvfrom and sendto per query, no event loop, no cache, no allocation: it
   answers A queries for the names of a hosts file ("IP NAME" lines, as dnsmasq reads it) with
   every address listed for the name, TTL 0, and NXDOMAIN for any other name. Names compare
   without regard to case. No EDNS, no TCP, no validation beyond what keeps it in bounds: it is a
   floor, not a server.

   Usage: dns-responder-floor ADDRESS PORT HOSTS */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { MAX_HOSTS = 64, NAME_LENGTH = 256, PACKET = 1232 };

static struct host {
    char name[NAME_LENGTH];
    struct in_addr address;
} hosts[MAX_HOSTS];
static int host_count;

static void load(const char *path) {
    char ip[64], name[NAME_LENGTH];
    FILE *file = fopen(path, "r");
    if (!file) exit(2);
    while (host_count < MAX_HOSTS && fscanf(file, "%63s %255s", ip, name) == 2) {
        for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (inet_pton(AF_INET, ip, &hosts[host_count].address) != 1) continue;
        strcpy(hosts[host_count++].name, name);
    }
    fclose(file);
}

/* The answer to `query` (of `length` bytes) in `answer`; its length, or 0 to drop the query. */
static size_t respond(const unsigned char *query, size_t length, unsigned char *answer) {
    char name[NAME_LENGTH];
    size_t at = 12, out = 0;
    if (length < 12 || (query[2] & 0x80) || query[4] != 0 || query[5] != 1) return 0;
    while (at < length && query[at] != 0) {
        size_t label = query[at++];
        if (label > 63 || at + label > length || out + label + 1 >= sizeof name) return 0;
        if (out) name[out++] = '.';
        for (size_t i = 0; i < label; i++) name[out++] = (char)tolower(query[at + i]);
        at += label;
    }
    if (at + 5 > length) return 0;
    name[out] = 0;
    at += 5; /* the root label, QTYPE and QCLASS */
    int type_a = query[at - 4] == 0 && query[at - 3] == 1;
    memcpy(answer, query, at);
    answer[2] = 0x84 | (query[2] & 0x01); /* QR, AA, the query's RD */
    answer[3] = 0;
    memset(answer + 6, 0, 6);
    int found = 0, count = 0;
    for (int i = 0; i < host_count; i++) {
        if (strcmp(hosts[i].name, name) != 0) continue;
        found = 1;
        if (!type_a || at + 16 > PACKET) continue;
        static const unsigned char record[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4};
        memcpy(answer + at, record, sizeof record);
        memcpy(answer + at + sizeof record, &hosts[i].address, 4);
        at += sizeof record + 4;
        count++;
    }
    if (!found) answer[3] = 3; /* NXDOMAIN */
    answer[7] = (unsigned char)count;
    return at;
}

int main(int argc, char **argv) {
    struct sockaddr_in address = {.sin_family = AF_INET};
    if (argc != 4 || inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) return 2;
    address.sin_port = htons((unsigned short)atoi(argv[2]));
    load(argv[3]);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) return 3;
    for (;;) {
        unsigned char query[PACKET], answer[PACKET];
        struct sockaddr_storage peer;
        socklen_t peer_length = sizeof peer;
        ssize_t length = recvfrom(fd, query, sizeof query, 0, (struct sockaddr *)&peer, &peer_length);
        if (length <= 0) continue;
        size_t size = respond(query, (size_t)length, answer);
        if (size) sendto(fd, answer, size, 0, (struct sockaddr *)&peer, peer_length);
    }
}
