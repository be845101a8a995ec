/*-------------------------------------------------------------------------
 *
 * throttle_file.c
 *	  The throttling table: a file in the data directory that every backend
 *	  maps, and its lock.
 *
 * The counters of failed sign-ins (throttle.c) must outlive the
 * transactions that count them, so they live in memory shared by every
 * backend.  PostgreSQL 15 offers
 * shared memory to a library only when it is preloaded, which managed
 * services do not allow, so the table is a file, THROTTLE_FILE in the data
 * directory, that each backend maps (MAP_SHARED) on its first sign-in.  Its
 * header records the server's start time: the first backend of a newly
 * started server finds a stale header and empties the table.  The file
 * lives in pg_stat_tmp, which base backups leave out.
 *
 * Every read and change of the table happens under an exclusive flock() of
 * the file, held for a few hundred instructions that cannot fail.  The
 * kernel drops the lock of a process that dies, so a backend killed at any
 * moment never leaves the table locked (a spinlock would stay taken, and
 * the file outlives a crash restart).
 *
 * src/throttle_file.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_perm.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "throttle_file.h"

#define THROTTLE_FILE		PG_STAT_TMP_DIR "/jwt_auth_throttle"
#define THROTTLE_MAGIC		0x4A415454	/* "JATT" */
#define THROTTLE_VERSION	1

static int	throttle_size = 65536;

/* This backend's mapping of the file, and the file. */
static ThrottleTable table;
static int	throttle_fd = -1;

void
jwt_auth_throttle_file_init(void)
{
	DefineCustomIntVariable("jwt_auth.throttle_size",
							"Emails whose failed sign-ins the server tracks one by one, for all databases.",
							"Takes effect when the server restarts. Emails beyond it share overflow counters.",
							&throttle_size,
							65536, 64, 4 * 1024 * 1024,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
}

/*
 * Take (LOCK_EX) or drop (LOCK_UN) the table's lock.  Waiting for it stays
 * interruptible: a cancel or a terminate is served between tries.
 */
static void
lock_table(int fd, int op)
{
	for (;;)
	{
		if (flock(fd, op == LOCK_EX ? LOCK_EX | LOCK_NB : op) == 0)
			return;
		if (errno != EINTR && errno != EWOULDBLOCK)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not lock file \"%s\": %m", THROTTLE_FILE)));
		if (errno == EWOULDBLOCK)
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1,
							 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static size_t
table_bytes(uint32 nentries, uint32 nbuckets)
{
	return sizeof(ThrottleHeader) + sizeof(ThrottleEntry) * (size_t) nentries +
		sizeof(ThrottleBucket) * (size_t) nbuckets;
}

/*
 * Under the lock: make the file a fresh table of this server if it is not
 * one already; its header goes to *out.  Returns an errno, or 0.
 */
static int
prepare_file(int fd, ThrottleHeader *out)
{
	ThrottleHeader h;
	struct stat st;
	uint32		nentries;
	uint32		nbuckets;
	int			err;

	if (fstat(fd, &st) != 0)
		return errno;
	if (st.st_size >= (off_t) sizeof(h) && pg_pread(fd, &h, sizeof(h), 0) == sizeof(h) &&
		h.magic == THROTTLE_MAGIC && h.version == THROTTLE_VERSION &&
		h.started == PgStartTime && h.nentries > 0 && h.nentries % THROTTLE_WAYS == 0 &&
		h.nbuckets > 0 && st.st_size == (off_t) table_bytes(h.nentries, h.nbuckets))
	{
		*out = h;
		return 0;
	}

	nentries = (uint32) TYPEALIGN(THROTTLE_WAYS, throttle_size);
	nbuckets = Max(nentries / 8, 256);
	memset(&h, 0, sizeof(h));
	h.magic = THROTTLE_MAGIC;
	h.version = THROTTLE_VERSION;
	h.started = PgStartTime;
	h.nentries = nentries;
	h.nbuckets = nbuckets;
	if (!pg_strong_random(h.salt, sizeof(h.salt)))
		return EIO;

	/*
	 * Truncating to zero first zeroes every counter; the blocks are then
	 * allocated, so that a full disk fails here, with an error, rather than
	 * as a fault when a backend writes through its mapping.
	 */
	if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t) table_bytes(nentries, nbuckets)) != 0)
		return errno;
	err = posix_fallocate(fd, 0, (off_t) table_bytes(nentries, nbuckets));
	if (err != 0)
		return err;
	if (pg_pwrite(fd, &h, sizeof(h), 0) != sizeof(h))
		return errno ? errno : EIO;
	*out = h;
	return 0;
}

/* Map the table, making it first if needed; once per backend. */
const ThrottleTable *
jwt_auth_throttle_file_open(void)
{
	int			fd;
	int			err;
	ThrottleHeader h;
	void	   *map = MAP_FAILED;

	if (table.header != NULL)
		return &table;
	ReserveExternalFD();
	fd = BasicOpenFilePerm(THROTTLE_FILE, O_RDWR | O_CREAT | PG_BINARY, pg_file_create_mode);
	if (fd < 0)
	{
		ReleaseExternalFD();
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", THROTTLE_FILE)));
	}
	PG_TRY();
	{
		lock_table(fd, LOCK_EX);
	}
	PG_CATCH();
	{
		close(fd);
		ReleaseExternalFD();
		PG_RE_THROW();
	}
	PG_END_TRY();
	err = prepare_file(fd, &h);
	if (err == 0)
	{
		map = mmap(NULL, table_bytes(h.nentries, h.nbuckets), PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			err = errno;
	}
	(void) flock(fd, LOCK_UN);
	if (err != 0)
	{
		close(fd);
		ReleaseExternalFD();
		errno = err;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not set up file \"%s\": %m", THROTTLE_FILE)));
	}
	throttle_fd = fd;
	table.header = (ThrottleHeader *) map;
	table.entries = (ThrottleEntry *) (table.header + 1);
	table.buckets = (ThrottleBucket *) (table.entries + table.header->nentries);
	return &table;
}

/*
 * Lock the mapped table for a read or change.  Every holder only reads and
 * writes a few entries, with nothing that can fail in between.
 */
void
jwt_auth_throttle_file_lock(void)
{
	lock_table(throttle_fd, LOCK_EX);
}

void
jwt_auth_throttle_file_unlock(void)
{
	lock_table(throttle_fd, LOCK_UN);
}
