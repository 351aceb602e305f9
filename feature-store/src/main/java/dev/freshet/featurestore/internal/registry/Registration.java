package dev.freshet.featurestore.internal.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.featurestore.internal.view.FeatureViewParser;
import dev.freshet.featurestore.internal.view.FeatureViewParser.DeclaredView;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse.AppliedView;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse.Change;
import dev.freshet.proto.features.v1.FeatureViewRecord;

/**
 * What applying a file of views to the registry changes: the one place where views are validated for
 * registration, whether they come from {@code freshet features apply}, the gRPC service or
 * {@code featurestore.view.file}. Pure: it reads nothing and writes nothing.
 */
public final class Registration {
    private Registration() {
    }

    /**
     * @param toPublish the records to write, all in one transaction; empty when nothing changed
     * @param response what the caller is told, one entry per view of the file in its order
     */
    public record Plan(List<FeatureViewRecord> toPublish, ApplyFeatureViewsResponse response) {
        public Plan {
            toPublish = List.copyOf(toPublish);
        }
    }

    /**
     * Validates the file as a whole (each view, and its views against each other and against the registered
     * ones), then plans a new version of each view whose definition differs from the registered one.
     *
     * @param registered the registry's newest record per view name
     * @throws InvalidFeatureViewException with every problem, each {@code "<path>: <reason>"}
     */
    public static Plan plan(String yaml, String source, Map<String, FeatureViewRecord> registered, String appliedBy,
            long nowMs) {
        List<DeclaredView> declared = FeatureViewParser.parseAll(yaml, source);
        List<FeatureView> live = new ArrayList<>();
        for (FeatureViewRecord record : registered.values()) {
            // A registered definition this version refuses (say, one over a cost bound) does not run, so it can
            // neither clash with the file nor stop a corrected definition of it from being applied.
            FeatureView view = record.getState() == FeatureViewRecord.State.RETIRED ? null : runnableOrNull(record);
            if (view != null) {
                live.add(view);
            }
        }
        List<String> clashes = FeatureViewParser.clashesWithRegistered(declared, live);
        if (!clashes.isEmpty()) {
            throw new InvalidFeatureViewException(source, clashes);
        }
        List<FeatureViewRecord> toPublish = new ArrayList<>();
        ApplyFeatureViewsResponse.Builder response = ApplyFeatureViewsResponse.newBuilder().setAppliedBy(appliedBy);
        for (DeclaredView view : declared) {
            FeatureViewRecord existing = registered.get(view.view().name());
            FeatureView existingView = existing == null || existing.getState() == FeatureViewRecord.State.RETIRED
                ? null : runnableOrNull(existing);
            if (existingView != null && existingView.sameDefinitionAs(view.view())) {
                response.addViews(AppliedView.newBuilder().setName(existing.getName())
                    .setVersion(existing.getVersion()).setChange(Change.UNCHANGED).setState(existing.getState()));
                continue;
            }
            int version = existing == null ? 1 : existing.getVersion() + 1;
            FeatureViewRecord serving = servingDuringBackfill(existing);
            FeatureViewRecord.Builder builder = FeatureViewRecord.newBuilder();
            if (serving != null) {
                builder.setServing(serving);
            }
            FeatureViewRecord record = builder
                .setName(view.view().name())
                .setVersion(version)
                .setState(serving == null ? FeatureViewRecord.State.ACTIVE : FeatureViewRecord.State.BACKFILLING)
                .setDefinitionYaml(view.yaml())
                .setAppliedBy(appliedBy)
                .setAppliedAtMs(nowMs)
                .setSource(source == null ? "" : source)
                .build();
            toPublish.add(record);
            response.addViews(AppliedView.newBuilder().setName(record.getName()).setVersion(version)
                .setChange(existing == null ? Change.CREATED : Change.UPDATED).setState(record.getState()));
        }
        return new Plan(toPublish, response.build());
    }

    /**
     * The version that keeps serving while a change of the view backfills: the active version, or the one still
     * serving behind a backfill that the change cuts short; null when nothing serves (a new or retired view).
     */
    private static FeatureViewRecord servingDuringBackfill(FeatureViewRecord existing) {
        if (existing == null) {
            return null;
        }
        FeatureViewRecord serving = switch (existing.getState()) {
            case ACTIVE -> existing.toBuilder().clearServing().build();
            case BACKFILLING -> existing.hasServing() ? existing.getServing() : null;
            default -> null;
        };
        // A version that cannot run serves nothing: the new one would otherwise wait behind it for ever.
        return serving == null || runnableOrNull(serving) == null ? null : serving;
    }

    /** The view of a record, or null when its stored definition is refused now. */
    private static FeatureView runnableOrNull(FeatureViewRecord record) {
        try {
            return viewOf(record);
        } catch (InvalidFeatureViewException e) {
            return null;
        }
    }

    /** The record that makes a backfilled version the active one; the version it replaces is retired. */
    public static FeatureViewRecord promoted(FeatureViewRecord backfilling) {
        return backfilling.toBuilder().setState(FeatureViewRecord.State.ACTIVE).clearServing().build();
    }

    /**
     * The view a registry record defines, carrying the record's version.
     *
     * @throws InvalidFeatureViewException when the stored definition is no longer valid (e.g. written by a newer
     *     Freshet, or by an older one that did not bound a view's cost)
     */
    public static FeatureView viewOf(FeatureViewRecord record) {
        return FeatureViewParser.parse(record.getDefinitionYaml(), "'" + record.getName() + "' v"
            + record.getVersion() + " in the registry").withVersion(record.getVersion());
    }
}
