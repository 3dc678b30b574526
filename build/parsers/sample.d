build/parsers/sample.o: parsers/sample.c parsers/sample.h common/util.h \
 parsers/ratelimit.h
parsers/sample.h:
common/util.h:
parsers/ratelimit.h:
