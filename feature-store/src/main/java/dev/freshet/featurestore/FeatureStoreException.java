package dev.freshet.featurestore;

/**
 * Base of the feature store's unchecked exceptions: something the caller (an operator, a launcher) must fix.
 * The message says what happened, with identifiers, and what to do next.
 */
public class FeatureStoreException extends RuntimeException {
    /** @param message what happened and what to do next; never null */
    public FeatureStoreException(String message) {
        super(message);
    }

    /**
     * @param message what happened and what to do next; never null
     * @param cause the underlying failure; may be null
     */
    public FeatureStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
