package dev.freshet.featurestore.internal.grpc;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.freshet.contracts.CallerAuthInterceptor;
import dev.freshet.featurestore.FeatureStoreStats;
import dev.freshet.featurestore.internal.registry.Registration;
import dev.freshet.featurestore.internal.registry.RegistryTopic;
import dev.freshet.featurestore.internal.runtime.ViewSet;
import dev.freshet.proto.features.v1.ApplyFeatureViewsRequest;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse;
import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.DescribeFeatureViewResponse;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import dev.freshet.proto.features.v1.GetOnlineFeaturesRequest;
import dev.freshet.proto.features.v1.GetOnlineFeaturesResponse;
import dev.freshet.proto.features.v1.GetOnlineFeaturesResponse.EntityFeatures;
import dev.freshet.proto.features.v1.ListFeatureViewsRequest;
import dev.freshet.proto.features.v1.ListFeatureViewsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC {@code FeatureStoreService}: registration through the same {@link Registration} as the CLI and the view
 * file (so the same validation and cost bounds), recorded under the caller's authenticated principal, and lookups
 * in this instance's views. Exceptions are thrown; the server's status mapping turns them into
 * the statuses callers act on ({@link FeatureStoreServer#known}). Thread-safe.
 */
final class FeatureStoreService extends FeatureStoreServiceGrpc.FeatureStoreServiceImplBase {
    private static final Logger log = LoggerFactory.getLogger(FeatureStoreService.class);
    static final int MAX_ENTITIES = 1000;
    private static final java.time.Duration REGISTRY_TIMEOUT = java.time.Duration.ofSeconds(10);

    private final RegistryTopic registry;
    private final ViewSet views;

    /** @param registry the registry, or null when this instance runs without one (registration is refused) */
    FeatureStoreService(RegistryTopic registry, ViewSet views) {
        this.registry = registry;
        this.views = views;
    }

    @Override
    public void applyFeatureViews(ApplyFeatureViewsRequest request,
            StreamObserver<ApplyFeatureViewsResponse> observer) {
        answer(observer, () -> {
            String source = request.getSource().isBlank() ? "request" : request.getSource();
            String appliedBy = principal(request);
            Registration.Plan plan = Registration.plan(request.getYaml(), source, requireRegistry().readAll(
                REGISTRY_TIMEOUT), appliedBy, System.currentTimeMillis());
            if (!request.getDryRun()) {
                requireRegistry().publish(plan.toPublish());
                plan.response().getViewsList().forEach(v -> log.info("Feature view '{}' applied by {} over gRPC: {} "
                    + "(v{}).", v.getName(), appliedBy, v.getChange(), v.getVersion()));
            }
            return plan.response();
        });
    }

    @Override
    public void listFeatureViews(ListFeatureViewsRequest request, StreamObserver<ListFeatureViewsResponse> observer) {
        answer(observer, () -> ListFeatureViewsResponse.newBuilder()
            .addAllViews(requireRegistry().readAll(REGISTRY_TIMEOUT).values()).build());
    }

    @Override
    public void describeFeatureView(DescribeFeatureViewRequest request,
            StreamObserver<DescribeFeatureViewResponse> observer) {
        answer(observer, () -> {
            Map<String, FeatureViewRecord> all = requireRegistry().readAll(REGISTRY_TIMEOUT);
            FeatureViewRecord record = all.get(request.getName());
            if (record == null) {
                throw Status.NOT_FOUND.withDescription("no feature view '" + request.getName()
                    + "' is registered; registered: " + all.keySet()).asRuntimeException();
            }
            DescribeFeatureViewResponse.Builder response = DescribeFeatureViewResponse.newBuilder().setView(record)
                .addAllFeatures(Registration.viewOf(record).featureNames());
            FeatureStoreStats stats = views.statsByView().get(record.getName());
            if (stats != null) {
                response.setEventsIn(stats.eventsIn()).setFeatureVectorsOut(stats.featureVectorsOut())
                    .putAllEventsDeadLettered(stats.deadLettered());
            }
            FeatureStoreStats labels = views.labelJoinStats();
            response.setLabelsIn(labels.labelsIn()).setTrainingExamplesOut(labels.trainingExamplesOut())
                .putAllLabelsLeftOut(labels.labelsLeftOut())
                .setPredictionsExpiredUnlabelled(labels.predictionsExpiredUnlabelled());
            return response.build();
        });
    }

    @Override
    public void getOnlineFeatures(GetOnlineFeaturesRequest request,
            StreamObserver<GetOnlineFeaturesResponse> observer) {
        answer(observer, () -> {
            if (request.getEntityIdsCount() == 0) {
                throw invalid("entity_ids is empty; send one or more entity ids");
            }
            if (request.getEntityIdsCount() > MAX_ENTITIES) {
                throw invalid("entity_ids holds " + request.getEntityIdsCount() + " ids; send at most "
                    + MAX_ENTITIES + " per call");
            }
            Set<String> running = new LinkedHashSet<>();
            views.views().forEach(v -> running.add(v.name()));
            List<String> wanted = request.getViewsCount() == 0 ? List.copyOf(running) : request.getViewsList();
            for (String view : wanted) {
                if (!running.contains(view)) {
                    throw invalid("views: '" + view + "' is not a view this instance runs; it runs " + running);
                }
            }
            GetOnlineFeaturesResponse.Builder response = GetOnlineFeaturesResponse.newBuilder();
            for (int i = 0; i < request.getEntityIdsCount(); i++) {
                String entityId = request.getEntityIds(i);
                if (entityId.isEmpty()) {
                    throw invalid("entity_ids[" + i + "] is empty");
                }
                EntityFeatures.Builder entity = EntityFeatures.newBuilder().setEntityId(entityId);
                for (String view : wanted) {
                    Optional<FeatureVector> vector = views.features(entityId, view);
                    vector.ifPresent(v -> entity.addVectors(v).putAllValues(v.getValuesMap()));
                }
                response.addResults(entity.setFound(entity.getVectorsCount() > 0));
            }
            return response.build();
        });
    }

    /**
     * Who applies: the principal the caller authenticated as (token identity or certificate subject), which
     * {@link MethodAuth} always puts in the context of this call. The request's applied_by only may repeat it: a
     * caller claiming another name is refused rather than silently recorded under its own.
     */
    private static String principal(ApplyFeatureViewsRequest request) {
        String principal = CallerAuthInterceptor.PRINCIPAL.get();
        if (principal == null) {
            // Unreachable while MethodAuth guards this method; never fall back to a name the caller chose.
            throw Status.INTERNAL.withDescription("ApplyFeatureViews reached without an authenticated caller")
                .asRuntimeException();
        }
        String claimed = request.getAppliedBy().strip();
        if (!claimed.isEmpty() && !claimed.equals(principal)) {
            throw invalid("applied_by '" + claimed + "' is not the identity you authenticated as ('" + principal
                + "'); leave applied_by empty: the feature store records who authenticated");
        }
        return principal;
    }

    private RegistryTopic requireRegistry() {
        if (registry == null) {
            throw Status.FAILED_PRECONDITION.withDescription("this feature store runs without a registry (the topic "
                + "feature-views did not exist when it started); create the topic and restart it").asRuntimeException();
        }
        return registry;
    }

    private static StatusRuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }

    /** Runs the call and answers with its value; an exception is left to the server's status mapping. */
    private static <T> void answer(StreamObserver<T> observer, Supplier<T> call) {
        observer.onNext(call.get());
        observer.onCompleted();
    }
}
