package dev.freshet.serving.internal;

import java.time.InstantSource;
import java.util.UUID;

import dev.freshet.contracts.CallerAuthInterceptor;
import dev.freshet.contracts.RolloutMode;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.serving.v1.AdminServiceGrpc;
import dev.freshet.proto.serving.v1.ChangeResponse;
import dev.freshet.proto.serving.v1.PinRequest;
import dev.freshet.proto.serving.v1.PromoteRequest;
import dev.freshet.proto.serving.v1.RollbackRequest;
import dev.freshet.proto.serving.v1.StatusRequest;
import dev.freshet.proto.serving.v1.StatusResponse;
import dev.freshet.proto.serving.v1.UnpinRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin RPCs. Each change is checked against the registry as this instance has read it, then published as a
 * Command (issued_by = the caller's token identity); every serving instance, this one included, applies it when
 * it reads the command back. Thread-safe.
 */
final class AdminHandler extends AdminServiceGrpc.AdminServiceImplBase {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    private final OpenedParts parts;
    private final String modelName;
    private final double challengerShare;
    private final InstantSource clock;

    /** @param parts the Kafka parts; until they are open, every call is answered UNAVAILABLE */
    AdminHandler(OpenedParts parts, String modelName, double challengerShare, InstantSource clock) {
        this.parts = parts;
        this.modelName = modelName;
        this.challengerShare = challengerShare;
        this.clock = clock;
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> responses) {
        ModelWatcher.RegistryView view;
        try {
            view = models().view();
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        }
        responses.onNext(StatusResponse.newBuilder()
            .setModel(modelName)
            .setChampionVersion(view.champion())
            .setChallengerVersion(view.challenger())
            .setPinnedVersion(view.pinned())
            .setNewestVersion(view.lineage().newest())
            .addAllBarredVersions(view.lineage().barredVersions())
            .setRolloutMode(view.mode().configName())
            .setChallengerShare(view.mode() == RolloutMode.CHALLENGER ? challengerShare : 0)
            .setLastChange(view.lastChange())
            .build());
        responses.onCompleted();
    }

    @Override
    public void pin(PinRequest request, StreamObserver<ChangeResponse> responses) {
        answer(responses, () -> {
            requireReason(request.getReason());
            long version = request.getVersion();
            ServingLineage lineage = models().view().lineage();
            requireServable(lineage, version, "pin");
            return issue(Command.newBuilder().setType(Command.Type.PIN).setTargetVersion(version),
                request.getReason(), String.format("model '%s' will be served by v%d only, until unpinned",
                    modelName, version));
        });
    }

    @Override
    public void unpin(UnpinRequest request, StreamObserver<ChangeResponse> responses) {
        answer(responses, () -> {
            requireReason(request.getReason());
            if (models().view().pinned() == 0) {
                throw Status.FAILED_PRECONDITION.withDescription(String.format("model '%s' is not pinned; "
                    + "nothing to unpin.", modelName)).asRuntimeException();
            }
            return issue(Command.newBuilder().setType(Command.Type.UNPIN), request.getReason(),
                String.format("model '%s' will follow its rollout again (serving.rollout.mode=%s)", modelName,
                    models().view().mode().configName()));
        });
    }

    @Override
    public void rollback(RollbackRequest request, StreamObserver<ChangeResponse> responses) {
        answer(responses, () -> {
            requireReason(request.getReason());
            ModelWatcher.RegistryView view = models().view();
            long target = request.getVersion() == 0 ? view.champion() : request.getVersion();
            if (target == 0) {
                throw Status.FAILED_PRECONDITION.withDescription(String.format("model '%s' has no version serving "
                    + "yet; name the version to roll back.", modelName)).asRuntimeException();
            }
            if (!view.lineage().contains(target)) {
                throw Status.NOT_FOUND.withDescription(String.format("model '%s' has no v%d in the registry; "
                    + "versions go up to v%d.", modelName, target, view.lineage().newest())).asRuntimeException();
            }
            if (view.lineage().isBarred(target)) {
                throw Status.FAILED_PRECONDITION.withDescription(String.format("model '%s' v%d is already barred "
                    + "by a rollback.", modelName, target)).asRuntimeException();
            }
            // The same rule as every instance applies once the command is read, so the summary says what will serve.
            long restore = view.lineage().championIfBarred(target, view.mode());
            if (restore == 0) {
                throw Status.FAILED_PRECONDITION.withDescription(String.format("rolling back model '%s' v%d would "
                    + "leave no version to serve (every other version descends from it or is barred); publish a "
                    + "good version first.", modelName, target)).asRuntimeException();
            }
            return issue(Command.newBuilder().setType(Command.Type.ROLLBACK).setTargetVersion(target)
                    .setRestoreVersion(restore), request.getReason(),
                String.format("model '%s' v%d and its descendants will be barred; v%d will serve", modelName, target,
                    restore));
        });
    }

    @Override
    public void promote(PromoteRequest request, StreamObserver<ChangeResponse> responses) {
        answer(responses, () -> {
            requireReason(request.getReason());
            ModelWatcher.RegistryView view = models().view();
            if (view.mode() == RolloutMode.NONE) {
                throw Status.FAILED_PRECONDITION.withDescription(String.format("serving.rollout.mode is none, so "
                    + "the newest version of model '%s' is always the champion and there is nothing to promote; "
                    + "use pin to serve a chosen version.", modelName)).asRuntimeException();
            }
            long version = request.getVersion() == 0 ? view.challenger() : request.getVersion();
            if (version == 0) {
                throw Status.FAILED_PRECONDITION.withDescription(String.format("model '%s' has no challenger now; "
                    + "name the version to promote.", modelName)).asRuntimeException();
            }
            requireServable(view.lineage(), version, "promote");
            return issue(Command.newBuilder().setType(Command.Type.PROMOTE)
                    .setTargetVersion(version).setRestoreVersion(view.champion()), request.getReason(),
                String.format("model '%s' v%d will be the champion (replacing v%d)", modelName, version,
                    view.champion()));
        });
    }

    private interface Change {
        ChangeResponse make();
    }

    private KafkaParts parts() {
        try {
            return parts.get();
        } catch (NotStartedException e) {
            throw Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private ModelWatcher models() {
        return parts().models();
    }

    private static void answer(StreamObserver<ChangeResponse> responses, Change change) {
        ChangeResponse response;
        try {
            response = change.make();
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        }
        responses.onNext(response);
        responses.onCompleted();
    }

    private ChangeResponse issue(Command.Builder command, String reason, String summary) {
        String identity = CallerAuthInterceptor.PRINCIPAL.get();
        Command built = command.setCommandId(UUID.randomUUID().toString()).setModel(modelName)
            .setReason(reason.strip()).setIssuedBy(identity).setIssuedAtMs(clock.millis()).build();
        parts().commands().publish(built);
        log.info("Admin '{}' issued command {}: {} ({}).", identity, built.getCommandId(), summary, built.getReason());
        return ChangeResponse.newBuilder().setCommandId(built.getCommandId()).setSummary(summary)
            .setIssuedBy(identity).build();
    }

    private static void requireReason(String reason) {
        if (reason.isBlank()) {
            throw Status.INVALID_ARGUMENT.withDescription("reason is required: say why, for the record (e.g. "
                + "--reason \"accuracy fell to 0.6 after v12\").").asRuntimeException();
        }
    }

    private void requireServable(ServingLineage lineage, long version, String verb) {
        if (version <= 0) {
            throw Status.INVALID_ARGUMENT.withDescription("version is required: name a version number of model '"
                + modelName + "' (see status).").asRuntimeException();
        }
        if (!lineage.contains(version)) {
            throw Status.NOT_FOUND.withDescription(String.format("model '%s' has no v%d in the registry; versions go "
                + "up to v%d.", modelName, version, lineage.newest())).asRuntimeException();
        }
        if (!lineage.servable(version)) {
            throw Status.FAILED_PRECONDITION.withDescription(String.format("cannot %s model '%s' v%d: it is barred "
                + "by a rollback or could not be loaded.", verb, modelName, version)).asRuntimeException();
        }
    }
}
