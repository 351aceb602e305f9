package dev.freshet.serving.internal;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.Lineage;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.contracts.RolloutMode;
import dev.freshet.contracts.ServingRule;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.serving.ServingException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.Model;
import org.tribuo.VariableInfo;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;
import org.tribuo.protos.core.ModelProto;

/**
 * Follows the models and commands topics and keeps the versions the shared {@link ServingRule} chooses loaded:
 * the champion (by default the newest non-barred version; an operator's PIN freezes it, a PROMOTE names it) and,
 * in challenger and shadow modes, the challenger. What it adds to the rule is serving's own: versions it could not
 * load are passed over.
 *
 * <p>Loading (deserialising and warming with one prediction) happens on the follower's thread, off the request
 * path; the loaded model then replaces the current one in an {@link AtomicReference}, so in-flight Predict
 * calls finish on the model they began with. Version records are kept in a local RocksDB store rather than in
 * memory, so a rollback to an old version can load it without re-reading the topic.
 */
final class ModelWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModelWatcher.class);
    private static final String STAGE = "model watcher";

    private final String modelName;
    private final String modelsTopic;
    private final String schemasTopic;
    private final boolean followsSchemas;
    private boolean warnedNoSchemas;
    /** Packed versions read before their schema (same transaction, another partition), by schema id. */
    private final Map<String, Map<Long, ModelVersion>> awaitingSchema = new HashMap<>();
    private final PackedModels packedModels = new PackedModels();
    private final RocksStore versions;
    private final Counters counters;
    private final Consumer<ServedModel> onLoaded;
    private final RolloutMode mode;
    private final AtomicReference<Serving> serving = new AtomicReference<>(Serving.NONE);
    private final ServingLineage lineage;
    private final TopicFollower follower;
    private volatile RegistryView view;
    private boolean dirty = true;

    /** The loaded versions, replaced as a whole so a request sees a consistent pair. */
    record Serving(ServedModel champion, ServedModel challenger) {
        static final Serving NONE = new Serving(null, null);
    }

    /**
     * What the registry holds and what is served, for admin calls on other threads. Immutable once published.
     *
     * @param lineage a copy, never modified
     */
    record RegistryView(ServingLineage lineage, RolloutMode mode, long champion, long challenger, long pinned,
                        long promoted, String lastChange) {
    }

    /**
     * @param onLoaded called on the follower's thread after each new model is in place
     * @param liveness told when the watcher stops following the registry for good
     */
    ModelWatcher(String modelName, RolloutMode mode, RocksStore versions, KafkaClients clients, TopicLayout topics,
                 Counters counters, Consumer<ServedModel> onLoaded, Liveness liveness) {
        String modelsTopic = topics.name(Topic.MODELS);
        String commandsTopic = topics.name(Topic.COMMANDS);
        String clientId = topics.clientId("serving-models");
        this.modelName = modelName;
        this.mode = mode;
        this.lineage = new ServingLineage(modelName);
        this.view = new RegistryView(lineage.copy(), mode, 0, 0, 0, 0, "");
        this.modelsTopic = modelsTopic;
        this.schemasTopic = topics.name(Topic.MODEL_SCHEMAS);
        this.versions = versions;
        this.counters = counters;
        this.onLoaded = onLoaded;
        TopicFollower withSchemas = null;
        try {
            withSchemas = new TopicFollower(clientId, clients, List.of(modelsTopic, commandsTopic, schemasTopic),
                this::apply, liveness, STAGE);
        } catch (ServingException e) {
            log.info("Not following '{}' ({}): serving loads only versions that carry a whole Tribuo model.",
                schemasTopic, e.getMessage());
        }
        this.followsSchemas = withSchemas != null;
        this.follower = withSchemas != null ? withSchemas
            : new TopicFollower(clientId, clients, List.of(modelsTopic, commandsTopic), this::apply,
                liveness, STAGE);
    }

    /** The champion, or null while none has loaded. Thread-safe. */
    ServedModel current() {
        return serving.get().champion();
    }

    /** The champion and challenger to score with now (either null while not loaded). Thread-safe. */
    Serving serving() {
        return serving.get();
    }

    /** The registry as of the last batch read. Thread-safe. */
    RegistryView view() {
        return view;
    }

    private void apply(ConsumerRecords<String, byte[]> records, boolean caughtUp) {
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.topic().equals(modelsTopic)) {
                onModelRecord(record);
            } else if (record.topic().equals(schemasTopic)) {
                onSchemaRecord(record);
            } else {
                onCommandRecord(record);
            }
        }
        // Wait for the whole history first: a rollback later in the commands topic must bar its versions
        // before any is served.
        if (caughtUp && dirty) {
            dirty = false;
            reconcile();
        }
        counters.newestPublishedVersion.set(lineage.newest());
    }

    private void onModelRecord(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key == null || !key.startsWith(modelName + "/")) {
            return;
        }
        if (record.value() == null) {
            RecordKeys.versionOf(key, modelName).ifPresent(version -> {
                awaitingSchema.values().forEach(waiting -> waiting.remove(version));
                lineage.remove(version);
                dirty = true;
            });
            return;
        }
        ModelVersion version;
        try {
            version = ModelVersion.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            log.warn("Skipped a corrupt record '{}' at {}-{} offset {}: it is not a ModelVersion.",
                key, record.topic(), record.partition(), record.offset());
            return;
        }
        if (version.getVersion() <= 0 || !version.getModel().equals(modelName)) {
            log.warn("Skipped model record '{}' at {}-{} offset {}: it names model '{}' v{}, which does not match "
                + "its key.", key, record.topic(), record.partition(), record.offset(), version.getModel(),
                version.getVersion());
            return;
        }
        versions.put(versionKey(version.getVersion()), record.value());
        if (!version.getSchemaId().isEmpty() && versions.get(schemaKey(version.getSchemaId())) == null) {
            // Not servable, nor a choice, until its schema is read: it is in the same transaction, so soon.
            awaitingSchema.computeIfAbsent(version.getSchemaId(), id -> new HashMap<>())
                .put(version.getVersion(), version);
            if (!followsSchemas && !warnedNoSchemas) {
                warnedNoSchemas = true;
                log.warn("Model '{}' v{} is packed (schema {}) but serving does not follow '{}', which did not exist "
                    + "at start; packed versions cannot be served until serving restarts with that topic.", modelName,
                    version.getVersion(), version.getSchemaId(), schemasTopic);
            }
            return;
        }
        addToLineage(version);
        log.debug("Read model '{}' v{} (parent v{}, origin {}) from the registry.", modelName, version.getVersion(),
            version.getParentVersion(), version.getOrigin());
    }

    private void onSchemaRecord(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key == null || !key.startsWith(modelName + "/") || record.value() == null) {
            return;
        }
        ModelSchema schema;
        try {
            schema = ModelSchema.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            log.warn("Skipped a corrupt record '{}' at {}-{} offset {}: it is not a ModelSchema.",
                key, record.topic(), record.partition(), record.offset());
            return;
        }
        versions.put(schemaKey(schema.getSchemaId()), record.value());
        Map<Long, ModelVersion> waiting = awaitingSchema.remove(schema.getSchemaId());
        if (waiting != null) {
            waiting.values().forEach(this::addToLineage);
        }
    }

    private void addToLineage(ModelVersion version) {
        if (lineage.add(version.getVersion(), version.getParentVersion(), version.getPublishedAtMs())
                == Lineage.Claim.CONFLICTING) {
            log.warn("Model '{}' v{} was published twice with different contents (this one: parent v{}, origin {}); "
                + "two publishers claimed the same version number. Serving follows the newer record, as compaction "
                + "will.", modelName, version.getVersion(), version.getParentVersion(), version.getOrigin());
        }
        dirty = true;
    }

    private void onCommandRecord(ConsumerRecord<String, byte[]> record) {
        Command command;
        try {
            command = Command.parseFrom(record.value() == null ? new byte[0] : record.value());
        } catch (InvalidProtocolBufferException e) {
            log.warn("Skipped a corrupt record at {}-{} offset {}: it is not a Command.",
                record.topic(), record.partition(), record.offset());
            return;
        }
        if (!lineage.concerns(record.key(), command)) {
            return;
        }
        Optional<ServingRule.Change> change = lineage.apply(record.key(), command);
        if (change.isPresent()) {
            log.info("Received {} of model '{}' from '{}': {}", change.get().action(), modelName,
                command.getIssuedBy(), command.getReason());
            dirty = true;
        } else if (command.getType() == Command.Type.ROLLBACK) {
            log.warn("Ignored rollback command '{}' for model '{}' at {}-{} offset {}: it names no target version.",
                command.getCommandId(), modelName, record.topic(), record.partition(), record.offset());
        }
    }

    /** Loads and swaps in what the rule decides, passing over versions that cannot be loaded. */
    private void reconcile() {
        while (true) {
            Serving before = serving.get();
            ServingRule.Decision choice = lineage.decide(mode);
            if (choice.champion() == 0) {
                if (before.champion() != null && lineage.isBarred(before.champion().version())) {
                    log.warn("Model '{}' v{} is barred by a rollback but no other version can be served; "
                        + "still serving it until one is published.", modelName, before.champion().version());
                }
                publishView(before, choice);
                return;
            }
            Optional<ServedModel> champion = loaded(choice.champion(), before);
            if (champion.isEmpty()) {
                lineage.markUnloadable(choice.champion());
                continue;
            }
            Optional<ServedModel> challenger = choice.challenger() == 0 ? Optional.empty()
                : loaded(choice.challenger(), before);
            if (choice.challenger() != 0 && challenger.isEmpty()) {
                lineage.markUnloadable(choice.challenger());
                continue;
            }
            Serving after = new Serving(champion.get(), challenger.orElse(null));
            // The view first: once a request is answered by a version, status names it too.
            publishView(after, choice);
            swap(before, after);
            return;
        }
    }

    private void publishView(Serving served, ServingRule.Decision decision) {
        view = new RegistryView(lineage.copy(), mode, versionOf(served.champion()), versionOf(served.challenger()),
            decision.pinned(), decision.promoted(), decision.lastChange());
    }

    /** The version from what is loaded already, or freshly loaded and warmed. */
    private Optional<ServedModel> loaded(long version, Serving loaded) {
        if (loaded.champion() != null && loaded.champion().version() == version) {
            return Optional.of(loaded.champion());
        }
        if (loaded.challenger() != null && loaded.challenger().version() == version) {
            return Optional.of(loaded.challenger());
        }
        return load(version);
    }

    private void swap(Serving before, Serving after) {
        // Replace, never mutate: in-flight Predict calls finish on the models they began with.
        serving.set(after);
        ServedModel from = before.champion();
        ServedModel to = after.champion();
        if (from == null) {
            log.info("Loaded model '{}' v{} (origin {}); serving it.", modelName, to.version(), to.origin());
        } else if (from.version() != to.version()) {
            counters.swaps.increment();
            if (lineage.isBarred(from.version())) {
                log.info("Rolled back model '{}' from v{} to v{}: {}.", modelName, from.version(), to.version(),
                    rollbackReasonFor(from.version()));
            } else {
                log.info("Swapped model '{}' from v{} to v{} (origin {}).", modelName, from.version(),
                    to.version(), to.origin());
            }
        }
        long challengerBefore = versionOf(before.challenger());
        long challengerAfter = versionOf(after.challenger());
        if (challengerAfter != challengerBefore) {
            if (challengerAfter == 0) {
                log.info("Model '{}' has no challenger now; v{} answers every request.", modelName, to.version());
            } else {
                log.info("Model '{}' v{} is the challenger of champion v{} ({} mode).", modelName, challengerAfter,
                    to.version(), mode.configName());
            }
        }
        if (from == null || from.version() != to.version()) {
            onLoaded.accept(to);
        }
    }

    private static long versionOf(ServedModel model) {
        return model == null ? 0 : model.version();
    }

    private String rollbackReasonFor(long version) {
        String reason = lineage.rollbackReason(version).orElse("").strip().replaceAll("[.]+$", "");
        return reason.isEmpty() ? "no reason given" : reason;
    }

    /** Deserialises and warms a version; empty (and logged) when it cannot be served. */
    private Optional<ServedModel> load(long version) {
        byte[] bytes = versions.get(versionKey(version));
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            ModelVersion record = ModelVersion.parseFrom(bytes);
            Model<?> model = record.getSchemaId().isEmpty()
                ? Model.deserialize(ModelProto.parseFrom(record.getTribuoModel()))
                : packedModels.build(ModelSchema.parseFrom(versions.get(schemaKey(record.getSchemaId()))), record);
            if (model.validate(org.tribuo.regression.Regressor.class)) {
                ServedModel regression = ServedModel.ofRegression(modelName, version, record.getOrigin(),
                    model.castModel(org.tribuo.regression.Regressor.class));
                String first = model.getFeatureIDMap().iterator().next().getName();
                regression.score(Map.of(first, 1.0));
                return Optional.of(regression);
            }
            if (!model.validate(Label.class)) {
                log.warn("Skipped model '{}' v{}: it is not a classification model; serving stays on {}.",
                    modelName, version, describeCurrent());
                return Optional.empty();
            }
            Model<Label> classifier = model.castModel(Label.class);
            warm(classifier);
            return Optional.of(new ServedModel(modelName, version, record.getOrigin(), classifier));
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            log.warn("Skipped model '{}' v{}: its Tribuo model could not be loaded ({}); serving stays on {}.",
                modelName, version, e.getMessage(), describeCurrent());
            return Optional.empty();
        }
    }

    // The first predictions of a freshly deserialised model are slow (class loading, JIT); pay that here.
    private static void warm(Model<Label> model) {
        Iterator<VariableInfo> features = model.getFeatureIDMap().iterator();
        if (!features.hasNext()) {
            throw new IllegalArgumentException("the model has no features");
        }
        model.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, new String[] {features.next().getName()},
            new double[] {1.0}));
    }

    private String describeCurrent() {
        ServedModel champion = serving.get().champion();
        return champion == null ? "no version" : "v" + champion.version();
    }

    private static byte[] versionKey(long version) {
        return ByteBuffer.allocate(Long.BYTES).putLong(version).array();
    }

    /** Never 8 bytes long, so never a version's key. */
    private static byte[] schemaKey(String schemaId) {
        return ("schema/" + schemaId).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        follower.close();
    }
}
