package dev.freshet.launcher.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.featurestore.FeatureStore;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureViewRegistry;
import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.monitor.Monitor;
import dev.freshet.serving.ScoringServer;
import dev.freshet.serving.ServingConfig;
import dev.freshet.serving.ServingException;
import dev.freshet.trainer.Trainer;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.TrainerException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The components of the loop that run in this JVM. Starts them in the loop's order and closes them in reverse,
 * so a component never outlives what feeds it.
 *
 * <p>Supervises them too: the first stage of any component that stops for good is kept and told to the
 * {@link #onFirstStop} listeners; stops reported while the platform closes on purpose are ignored.
 */
public final class Platform implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Platform.class);

    /** A component that {@code freshet run} can start on its own. */
    public enum Component {
        FEATURE_STORE, TRAINER, SERVING, MONITOR;

        /** The CLI's name for it, e.g. {@code feature-store}. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Component fromCliName(String name) {
            for (Component c : values()) {
                if (c.cliName().equals(name.trim())) {
                    return c;
                }
            }
            throw new LauncherException("Unknown component '" + name + "'; expected one of feature-store, trainer, serving, monitor");
        }
    }

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final AtomicReference<Liveness.Stopped> firstStop = new AtomicReference<>();
    private final List<Consumer<Liveness.Stopped>> stopListeners = new ArrayList<>();
    private volatile boolean closing;
    private FeatureStore featureStore;
    private Trainer trainer;
    private ScoringServer scoringServer;
    private Monitor monitor;

    private Platform() {
    }

    /**
     * Checks the configuration of the given components as their start would, without connecting to anything: every
     * key's value, the view file, the model spec, the monitor's policy file. A cluster that is not known yet (an embedded broker still to be
     * started) does not fail the check.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key, the value and what is accepted
     * @throws InvalidFeatureViewException when the view file is refused, with every problem
     * @throws RuntimeException of the component (e.g. an invalid model spec) naming what to fix
     */
    public static void validate(Map<String, ?> props, Set<Component> components) {
        Map<String, Object> checked = new HashMap<>(props);
        Object bootstrap = checked.get(CommonConfig.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrap == null || bootstrap.toString().isBlank()) {
            checked.put(CommonConfig.BOOTSTRAP_SERVERS_CONFIG, "embedded-broker-to-be-started:0");
        }
        if (components.contains(Component.FEATURE_STORE)) {
            FeatureStoreConfig config = new FeatureStoreConfig(checked);
            String viewFile = config.getString(FeatureStoreConfig.VIEW_FILE_CONFIG);
            if (!viewFile.isBlank()) {
                try {
                    FeatureViewRegistry.validate(Files.readString(Path.of(viewFile)), viewFile);
                } catch (NoSuchFileException e) {
                    throw new LauncherException(FeatureStoreConfig.VIEW_FILE_CONFIG + " " + viewFile + " does not "
                        + "exist; give the path of a YAML file of feature views (see examples/transactions.yaml)", e);
                } catch (IOException e) {
                    throw new LauncherException("Cannot read " + FeatureStoreConfig.VIEW_FILE_CONFIG + " " + viewFile
                        + ": " + e + "; check the path and its permissions", e);
                }
            }
        }
        if (components.contains(Component.TRAINER)) {
            new TrainerConfig(checked);
        }
        if (components.contains(Component.SERVING)) {
            new ServingConfig(checked);
        }
        if (components.contains(Component.MONITOR)) {
            Monitor.validate(checked);
        }
    }

    /**
     * Starts the given components with one configuration map (each reads the keys it declares).
     * If one fails to start, those already started are closed before the exception propagates.
     *
     * @throws org.apache.kafka.common.config.ConfigException when a key, the view file or the model spec is refused
     * @throws LauncherException when a component cannot start (a port in use, a missing topic, an unreachable
     *     cluster), its message beginning with the component's name and saying what to fix
     */
    public static Platform start(Map<String, ?> props, Set<Component> components) {
        Platform platform = new Platform();
        EnumSet<Component> wanted = EnumSet.copyOf(components);
        try {
            if (wanted.contains(Component.FEATURE_STORE)) {
                platform.featureStore = platform.track(startOne(Component.FEATURE_STORE, props, () -> FeatureStore.start(props)));
                platform.supervise(platform.featureStore.liveness());
            }
            if (wanted.contains(Component.TRAINER)) {
                platform.trainer = platform.track(startOne(Component.TRAINER, props, () -> Trainer.start(props)));
                platform.supervise(platform.trainer.liveness());
            }
            if (wanted.contains(Component.SERVING)) {
                platform.scoringServer = platform.track(startOne(Component.SERVING, props, () -> ScoringServer.start(props)));
                platform.supervise(platform.scoringServer.liveness());
            }
            if (wanted.contains(Component.MONITOR)) {
                platform.monitor = platform.track(startOne(Component.MONITOR, props, () -> Monitor.start(props)));
                platform.supervise(platform.monitor.liveness());
            }
        } catch (RuntimeException e) {
            platform.close();
            throw e;
        }
        return platform;
    }

    /**
     * Names the component in the refusals its start documents (they say what to fix); anything else is a fault,
     * not a mistake, and propagates as it is.
     */
    private static <T> T startOne(Component which, Map<String, ?> props, Supplier<T> start) {
        try {
            return start.get();
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            // Whatever wraps it, a refusal of the credentials or ACLs is the operator's to fix, not a fault.
            Optional<KafkaAccessException> refusal = KafkaAccessException.find(e, KafkaClients.from(props).identity(),
                "starting");
            if (refusal.isPresent()) {
                throw new LauncherException(which.cliName() + ": " + refusal.get().getMessage(), e);
            }
            if (e instanceof FeatureStoreException || e instanceof TrainerException || e instanceof ServingException
                    || e instanceof KafkaException) {
                throw new LauncherException(which.cliName() + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Calls {@code listener} once, on the stopping stage's thread, when the first stage of any running component
     * stops for good; at once, on this thread, if one already has. The listener must not close the platform
     * itself (that would wait for the very thread it runs on): it should hand the stop to another thread.
     */
    public void onFirstStop(Consumer<Liveness.Stopped> listener) {
        synchronized (stopListeners) {
            if (firstStop.get() == null) {
                stopListeners.add(listener);
                return;
            }
        }
        listener.accept(firstStop.get());
    }

    /** Empty while every stage of every component runs; otherwise the first that stopped for good. */
    public Optional<Liveness.Stopped> firstStop() {
        return Optional.ofNullable(firstStop.get());
    }

    private void supervise(Liveness liveness) {
        liveness.onStop(this::stageStopped);
    }

    private void stageStopped(Liveness.Stopped stop) {
        // A component being closed on purpose should report nothing; one that does anyway is not the cause.
        if (closing || !firstStop.compareAndSet(null, stop)) {
            return;
        }
        List<Consumer<Liveness.Stopped>> toTell;
        synchronized (stopListeners) {
            toTell = List.copyOf(stopListeners);
            stopListeners.clear();
        }
        toTell.forEach(listener -> listener.accept(stop));
    }

    private <T extends AutoCloseable> T track(T component) {
        started.push(component);
        return component;
    }

    public FeatureStore featureStore() {
        return require(featureStore, Component.FEATURE_STORE);
    }

    public Trainer trainer() {
        return require(trainer, Component.TRAINER);
    }

    public ScoringServer scoringServer() {
        return require(scoringServer, Component.SERVING);
    }

    public Monitor monitor() {
        return require(monitor, Component.MONITOR);
    }

    private static <T> T require(T component, Component which) {
        if (component == null) {
            throw new IllegalStateException(which.cliName() + " is not running in this process");
        }
        return component;
    }

    /** Closes the components in reverse order of their start. Idempotent; safe from any thread but a stage's. */
    @Override
    public synchronized void close() {
        closing = true;
        while (!started.isEmpty()) {
            AutoCloseable component = started.pop();
            try {
                component.close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", component.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
