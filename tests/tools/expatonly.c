/* expatonly.c - the floor for the XML JTL reader: expat alone over a file, no handlers, the
 * file fed in BUFSZ pieces (default 1 MiB), for make bench and docs/performance.md.
 *
 *   expatonly FILE [BUFSZ] [elements]
 *
 * With "elements", empty start/end element handlers are set (what any reader pays as soon
 * as it looks at elements: expat then splits out the attributes).  Prints the bytes read. */
#include <expat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void XMLCALL on_start(void *u, const XML_Char *n, const XML_Char **a)
{
	(void)n;
	(void)a;
	++*(unsigned long *)u;
}

static void XMLCALL on_end(void *u, const XML_Char *n)
{
	(void)u;
	(void)n;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: expatonly FILE [BUFSZ] [elements]\n");
		return 2;
	}
	long bs = argc > 2 ? atol(argv[2]) : 1L << 20;
	if (bs <= 0 || bs > (1L << 30))
		return 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	XML_Parser p = XML_ParserCreate(NULL);
	unsigned long elements = 0;
	if (argc > 3 && strcmp(argv[3], "elements") == 0) {
		XML_SetUserData(p, &elements);
		XML_SetElementHandler(p, on_start, on_end);
	}
	unsigned long long total = 0;
	for (;;) {
		void *buf = XML_GetBuffer(p, (int)bs);
		if (!buf)
			return 1;
		ssize_t n = read(fd, buf, (size_t)bs);
		if (n < 0) {
			perror("read");
			return 1;
		}
		total += (unsigned long long)n;
		if (XML_ParseBuffer(p, (int)n, n == 0) != XML_STATUS_OK) {
			fprintf(stderr, "expatonly: %s at line %lu\n", XML_ErrorString(XML_GetErrorCode(p)),
				(unsigned long)XML_GetCurrentLineNumber(p));
			return 1;
		}
		if (n == 0)
			break;
	}
	XML_ParserFree(p);
	close(fd);
	printf("bytes %llu elements %lu\n", total, elements);
	return 0;
}
