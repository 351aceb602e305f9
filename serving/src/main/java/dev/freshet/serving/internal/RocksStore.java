package dev.freshet.serving.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.freshet.serving.ServingException;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * One RocksDB database holding a replica of a topic, rebuilt from the topic at every start. Owns and closes
 * its native handles. Thread-safe: reads and writes run concurrently; {@link #close()} waits for them.
 */
final class RocksStore implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    // Calls on a closed RocksDB crash the JVM, and a Predict call cut off by shutdownNow may still be reading.
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    RocksStore(Path dir) {
        this.dir = dir;
        Options opts = new Options().setCreateIfMissing(true);
        // The topic is the source of truth and is replayed from the beginning, so no write-ahead log is needed.
        WriteOptions wopts = new WriteOptions().setDisableWAL(true);
        try {
            Files.createDirectories(dir);
            // A replica left by an earlier run may hold entities deleted since; start from an empty one.
            if (Files.exists(dir.resolve("CURRENT"))) {
                RocksDB.destroyDB(dir.toString(), opts);
            }
            this.db = RocksDB.open(opts, dir.toString());
        } catch (RocksDBException | IOException e) {
            wopts.close();
            opts.close();
            throw new ServingException(String.format(
                "Could not open the local replica in %s (%s); check that the directory in serving.state.dir is "
                    + "writable and not used by another serving instance.", dir, e.getMessage()), e);
        }
        this.options = opts;
        this.writeOptions = wopts;
    }

    /** The value stored under {@code key}, or null when there is none or the store is closed. */
    byte[] get(byte[] key) {
        lock.readLock().lock();
        try {
            return closed ? null : db.get(key);
        } catch (RocksDBException e) {
            throw new ServingException("Could not read the local replica in " + dir + ": " + e.getMessage(), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    void put(byte[] key, byte[] value) {
        lock.readLock().lock();
        try {
            if (!closed) {
                db.put(writeOptions, key, value);
            }
        } catch (RocksDBException e) {
            throw new ServingException("Could not write the local replica in " + dir + ": " + e.getMessage(), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    void delete(byte[] key) {
        lock.readLock().lock();
        try {
            if (!closed) {
                db.delete(writeOptions, key);
            }
        } catch (RocksDBException e) {
            throw new ServingException("Could not write the local replica in " + dir + ": " + e.getMessage(), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                db.close();
                writeOptions.close();
                options.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
