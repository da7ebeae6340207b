/* version.h -- the program's version, which the Makefile takes from
 * dxapp.json; "unknown" for a build that does not say. */
#ifndef RC_VERSION_H
#define RC_VERSION_H

#ifndef REGCOUNT_VERSION
#define REGCOUNT_VERSION "unknown"
#endif

#endif
