package dev.freshet.contracts;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongPredicate;

import dev.freshet.proto.registry.v1.Command;

/**
 * Which versions of one model serving answers with: the rule every serving instance applies and
 * {@code freshet models list} applies to the same records, kept in one place so that they cannot disagree.
 *
 * <p>Its inputs are the registry's versions (number, parent, publication time), the serving commands of the
 * commands topic (ROLLBACK, PIN, UNPIN, PROMOTE; others are not serving's and are ignored) and, when deciding, the
 * rollout mode and which versions the caller can load. The rule:
 * <ul>
 *   <li>a ROLLBACK of T bars T and every descendant of T, present and future ({@link Lineage});</li>
 *   <li>a PIN of V makes V the champion, with no challenger, for as long as V is servable (known, not barred,
 *       loadable); a pin of a version that is not servable does not apply, but stays on record until UNPIN;</li>
 *   <li>a PROMOTE of V names V the champion of a rollout and ends any pin;</li>
 *   <li>otherwise, in {@link RolloutMode#NONE}, the newest servable version is the champion and there is no
 *       challenger; in {@link RolloutMode#CHALLENGER} and {@link RolloutMode#SHADOW} the champion is the promoted
 *       version (when it is not servable, the newest servable version before it), or before any promotion the
 *       oldest servable version, and the newest servable version, when newer, is the challenger.</li>
 * </ul>
 *
 * <p>Deterministic: the same records give the same decision, however the two topics' records interleave, because
 * barring and the choice are made when {@link #decide} is called, and a model's commands (keyed by model name) are
 * on one partition, so every reader applies them in the same order. Reading again from any offset to the end of
 * either topic (a restart, a rewind) leaves the decision as it was: a version read again is the same claim, a
 * rollback read again bars nothing new, and the pin and promotion are those of the last command.
 *
 * <p>Not thread-safe: one thread feeds an instance; hand other threads a {@link #copy()}.
 */
public final class ServingRule {
    /** Why the champion of a {@link Decision} is the version it is. */
    public enum Basis {
        /** No version is servable: every known version is barred or cannot be loaded, or there is none. */
        NOTHING,
        /** An operator pinned it. */
        PINNED,
        /** It is the newest servable version (rollout mode none, or no servable version up to the promoted one). */
        NEWEST,
        /** It was promoted. */
        PROMOTED,
        /** The promoted version is not servable; it is the newest servable version before that one. */
        BEFORE_PROMOTED,
        /** Nothing has been promoted yet; it is the oldest servable version, so every instance agrees. */
        OLDEST
    }

    /**
     * What serving answers with.
     *
     * @param champion   the version answering (most) requests; 0 when none is servable
     * @param challenger the version under trial in challenger or shadow mode; 0 when none
     * @param basis      why the champion is the one it is
     * @param pinned     the version last pinned and not since unpinned or superseded by a promotion, 0 when none;
     *                   it is the champion only when servable
     * @param promoted   the version last promoted, 0 when none
     * @param lastChange the last serving command, e.g. {@code "PIN v3 by alice: investigating drift"}; empty when
     *                   there was none
     */
    public record Decision(RolloutMode mode, long champion, long challenger, Basis basis, long pinned,
                           long promoted, String lastChange) {
        /** Why the champion is the one it is, for people, e.g. "the newest not barred". */
        public String explanation() {
            return switch (basis) {
                case NOTHING -> "no version can be served";
                case PINNED -> "pinned";
                case NEWEST -> "the newest not barred";
                case PROMOTED -> "promoted";
                case BEFORE_PROMOTED -> "the newest not barred before v" + promoted + ", which was promoted";
                case OLDEST -> "the oldest not barred, as nothing has been promoted";
            };
        }
    }

    /**
     * A serving command as the rule applied it.
     *
     * @param issuedBy who issued it, empty when the command does not say
     */
    public record Change(Command.Type type, long targetVersion, long restoreVersion, String issuedBy,
                         String reason) {
        /** The command in brief, e.g. {@code "PIN v3"} or {@code "ROLLBACK v5 (restore v4)"}. */
        public String action() {
            return switch (type) {
                case ROLLBACK -> String.format("ROLLBACK v%d (restore v%d)", targetVersion, restoreVersion);
                case UNPIN -> "UNPIN";
                default -> type.name() + " v" + targetVersion;
            };
        }

        /** The command for people: what, by whom and why, e.g. {@code "PIN v3 by alice: investigating drift"}. */
        public String describe() {
            return String.format("%s by %s: %s", action(), issuedBy.isEmpty() ? "unknown" : issuedBy, reason);
        }
    }

    private final String model;
    private final Lineage lineage;
    private final Map<Long, String> rollbackReasons;
    private long pinned;
    private long promoted;
    private String lastChange;

    /** The rule for {@code model}, before any record is read. */
    public ServingRule(String model) {
        this(model, new Lineage(), new HashMap<>(), 0, 0, "");
    }

    private ServingRule(String model, Lineage lineage, Map<Long, String> rollbackReasons, long pinned,
                        long promoted, String lastChange) {
        this.model = model;
        this.lineage = lineage;
        this.rollbackReasons = rollbackReasons;
        this.pinned = pinned;
        this.promoted = promoted;
        this.lastChange = lastChange;
    }

    /**
     * Records a version read from the models topic.
     *
     * @param parentVersion the version its weights continued from, 0 for none
     * @return whether the number was new, read again, or claimed already by a different publication
     */
    public Lineage.Claim addVersion(long version, long parentVersion, long publishedAtMs) {
        return lineage.add(version, parentVersion, publishedAtMs);
    }

    /** Forgets a version (a tombstone in the models topic); barring through it is kept. */
    public void removeVersion(long version) {
        lineage.remove(version);
    }

    /**
     * Whether a command read from the commands topic is about this model: its {@code model} field, or when that is
     * empty the record's key, names it.
     *
     * @param recordKey the record's key; may be null
     */
    public boolean concerns(String recordKey, Command command) {
        return model.equals(command.getModel().isEmpty() ? recordKey : command.getModel());
    }

    /**
     * Applies a command read from the commands topic, in topic order.
     *
     * @param recordKey the record's key; may be null
     * @return the change, or empty when the command is not about this model, is not a serving command (RETRAIN,
     *         PAUSE, ...), or names no target version where it needs one (ROLLBACK, PIN, PROMOTE)
     */
    public Optional<Change> apply(String recordKey, Command command) {
        if (!concerns(recordKey, command)) {
            return Optional.empty();
        }
        long target = command.getTargetVersion();
        Command.Type type = command.getType();
        boolean needsTarget = type == Command.Type.ROLLBACK || type == Command.Type.PIN
            || type == Command.Type.PROMOTE;
        if (needsTarget && target <= 0) {
            return Optional.empty();
        }
        switch (type) {
            case ROLLBACK -> {
                lineage.bar(target);
                rollbackReasons.put(target, command.getReason());
            }
            case PIN -> pinned = target;
            case UNPIN -> pinned = 0;
            case PROMOTE -> {
                // A promotion names the new champion explicitly, so an earlier pin no longer applies.
                promoted = target;
                pinned = 0;
            }
            default -> {
                return Optional.empty();
            }
        }
        Change change = new Change(type, target, command.getRestoreVersion(), command.getIssuedBy(),
            command.getReason());
        lastChange = change.describe();
        return Optional.of(change);
    }

    /**
     * What serving answers with now, as the rule decides from the records read so far.
     *
     * @param loadable which versions the caller can load; serving passes the versions it has not failed to load,
     *                 a reader of the registry alone passes {@code v -> true}
     */
    public Decision decide(RolloutMode mode, LongPredicate loadable) {
        OptionalLong newest = lineage.newest(loadable);
        if (newest.isEmpty()) {
            return decision(mode, 0, 0, Basis.NOTHING);
        }
        if (pinned > 0 && servable(pinned, loadable)) {
            return decision(mode, pinned, 0, Basis.PINNED);
        }
        if (mode == RolloutMode.NONE) {
            return decision(mode, newest.getAsLong(), 0, Basis.NEWEST);
        }
        OptionalLong champion = promoted > 0 ? lineage.newestAtMost(promoted, loadable) : lineage.oldest(loadable);
        if (champion.isEmpty()) {
            return decision(mode, newest.getAsLong(), 0, Basis.NEWEST);
        }
        long chosen = champion.getAsLong();
        Basis basis = promoted == 0 ? Basis.OLDEST : chosen == promoted ? Basis.PROMOTED : Basis.BEFORE_PROMOTED;
        return decision(mode, chosen, newest.getAsLong() > chosen ? newest.getAsLong() : 0, basis);
    }

    /** The champion {@link #decide} would give if a ROLLBACK of {@code target} were read now; 0 when none. */
    public long championIfBarred(long target, RolloutMode mode, LongPredicate loadable) {
        ServingRule barred = copy();
        barred.lineage.bar(target);
        return barred.decide(mode, loadable).champion();
    }

    /** Known, not barred, and accepted by {@code loadable}. */
    public boolean servable(long version, LongPredicate loadable) {
        return lineage.contains(version) && !lineage.isBarred(version) && loadable.test(version);
    }

    /** Whether the version has been read (and not removed since). */
    public boolean contains(long version) {
        return lineage.contains(version);
    }

    /** True when a rollback targeted this version or one of its known ancestors. */
    public boolean isBarred(long version) {
        return lineage.isBarred(version);
    }

    /** Every known version that a rollback has barred, oldest first. */
    public List<Long> barredVersions() {
        return lineage.barredVersions();
    }

    /** The highest version known, barred or not; 0 when none. */
    public long newest() {
        return lineage.highest();
    }

    /**
     * The reason given by the rollback that barred {@code version}: the one that targeted it or else its nearest
     * barred ancestor; empty when it is not barred through a known chain.
     */
    public Optional<String> rollbackReason(long version) {
        long current = version;
        // Parents are older versions; the bound keeps a malformed chain from looping.
        for (int steps = 0; current > 0 && steps <= lineage.versions().size(); steps++) {
            String reason = rollbackReasons.get(current);
            if (reason != null && lineage.isRollbackTarget(current)) {
                return Optional.of(reason);
            }
            OptionalLong parent = lineage.parentOf(current);
            if (parent.isEmpty() || parent.getAsLong() >= current) {
                return Optional.empty();
            }
            current = parent.getAsLong();
        }
        return Optional.empty();
    }

    /** An independent copy, for readers on other threads. */
    public ServingRule copy() {
        return new ServingRule(model, lineage.copy(), new HashMap<>(rollbackReasons), pinned, promoted, lastChange);
    }

    private Decision decision(RolloutMode mode, long champion, long challenger, Basis basis) {
        return new Decision(mode, champion, challenger, basis, pinned, promoted, lastChange);
    }
}
