/*-------------------------------------------------------------------------
 *
 * throttle_file.h
 *	  The throttling table: a file in the data directory that every backend
 *	  maps, and its lock.
 *
 * src/throttle_file.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_THROTTLE_FILE_H
#define JWT_AUTH_THROTTLE_FILE_H

#include "datatype/timestamp.h"

/* Entries an email may use: the size of a set. */
#define THROTTLE_WAYS		16

typedef struct ThrottleHeader
{
	uint32		magic;
	uint32		version;
	TimestampTz started;		/* start time of the server that made it */
	uint32		nentries;		/* a multiple of THROTTLE_WAYS */
	uint32		nbuckets;
	unsigned char salt[16];
	char		pad[24];		/* to 64 bytes */
} ThrottleHeader;

StaticAssertDecl(sizeof(ThrottleHeader) == 64, "the file's layout is fixed");

typedef struct ThrottleEntry
{
	uint64		key;			/* 0: never used */
	Oid			dbid;
	int32		failures;
	TimestampTz forget_at;		/* the failures count until then */
	TimestampTz locked_until;
} ThrottleEntry;

StaticAssertDecl(sizeof(ThrottleEntry) == 32, "the file's layout is fixed");

typedef struct ThrottleBucket
{
	int32		failures;
	Oid			dbid;			/* the one database whose failures it holds;
								 * InvalidOid: several, or a file made by an
								 * earlier build, where it was unused */
	TimestampTz forget_at;
} ThrottleBucket;

StaticAssertDecl(sizeof(ThrottleBucket) == 16, "the file's layout is fixed");

/* This backend's mapping of the table. */
typedef struct ThrottleTable
{
	ThrottleHeader *header;
	ThrottleEntry *entries;		/* header->nentries, in sets of THROTTLE_WAYS */
	ThrottleBucket *buckets;	/* header->nbuckets overflow counters */
} ThrottleTable;

extern void jwt_auth_throttle_file_init(void);
extern const ThrottleTable *jwt_auth_throttle_file_open(void);
extern void jwt_auth_throttle_file_lock(void);
extern void jwt_auth_throttle_file_unlock(void);

#endif							/* JWT_AUTH_THROTTLE_FILE_H */
