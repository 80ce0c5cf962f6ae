package dev.rivetkitjava.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One {@code serve} per data dir: an exclusive lock on {@code <data-dir>/serve.lock} (an OS file
 * lock, so a process killed with SIGKILL releases it too), the holder's PID written in the file
 * while it holds it. The file stays; an empty one is held by nobody.
 */
final class DataDirLock implements AutoCloseable {

    static final String FILE = "serve.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock, or fails at once.
     *
     * @throws IllegalStateException when another process (or this one) holds it; the message names
     *     its PID
     */
    static DataDirLock acquire(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE).toAbsolutePath();
        FileChannel channel =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this JVM holds it already
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(channel);
            channel.close();
            throw new IllegalStateException(
                    "the data dir "
                            + dataDir.toAbsolutePath()
                            + " is in use by another serve"
                            + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                            + ", which holds "
                            + file
                            + "; stop it first, or pass another --data-dir");
        }
        try {
            channel.truncate(0);
            channel.write(
                    ByteBuffer.wrap(
                            (ProcessHandle.current().pid() + "\n")
                                    .getBytes(StandardCharsets.US_ASCII)),
                    0);
            channel.force(true);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new DataDirLock(file, channel, lock);
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            channel.read(buffer, 0);
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII)
                    .strip();
        } catch (IOException e) {
            return "";
        }
    }

    Path file() {
        return file;
    }

    /** Empties the file (held by nobody) and releases the lock. */
    @Override
    public void close() {
        try {
            if (channel.isOpen()) {
                channel.truncate(0);
                lock.release();
                channel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("releasing " + file, e);
        }
    }
}
