package dev.freshet.contracts;

import java.util.concurrent.CountDownLatch;

import dev.freshet.proto.features.v1.DescribeFeatureViewRequest;
import dev.freshet.proto.features.v1.DescribeFeatureViewResponse;
import dev.freshet.proto.features.v1.FeatureStoreServiceGrpc;
import dev.freshet.proto.features.v1.GetOnlineFeaturesRequest;
import dev.freshet.proto.features.v1.GetOnlineFeaturesResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * A real proto service for the kit's tests: DescribeFeatureView answers with the caller's principal, or fails as
 * its name says ({@code invalid}, {@code missing}, {@code bug}); GetOnlineFeatures never answers, so it stays in
 * flight until cancelled.
 */
final class KitTestService extends FeatureStoreServiceGrpc.FeatureStoreServiceImplBase {
    final CountDownLatch inFlight = new CountDownLatch(1);
    final CountDownLatch inFlightCancelled = new CountDownLatch(1);

    @Override
    public void describeFeatureView(DescribeFeatureViewRequest request,
                                    StreamObserver<DescribeFeatureViewResponse> observer) {
        switch (request.getName()) {
            case "invalid" -> throw new IllegalArgumentException("the name 'invalid' is refused; send another");
            case "missing" -> throw Status.NOT_FOUND.withDescription("no view 'missing'").asRuntimeException();
            case "bug" -> throw new IllegalStateException("a detail the caller must not see: /var/secret");
            default -> {
                String principal = CallerAuthInterceptor.PRINCIPAL.get();
                observer.onNext(DescribeFeatureViewResponse.newBuilder()
                    .addFeatures(principal == null ? "anonymous" : principal).build());
                observer.onCompleted();
            }
        }
    }

    @Override
    public void getOnlineFeatures(GetOnlineFeaturesRequest request,
                                  StreamObserver<GetOnlineFeaturesResponse> observer) {
        Context.current().addListener(context -> inFlightCancelled.countDown(), Runnable::run);
        inFlight.countDown();
    }
}
