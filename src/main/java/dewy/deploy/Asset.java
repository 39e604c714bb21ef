package dewy.deploy;

import java.net.URI;

/**
 * One file of a release. {@code location} is where the registry fetches it from (GitHub: the API asset URL;
 * file registry: a {@code file:} URI); {@code size} is what the registry announced, -1 when unknown.
 */
public record Asset(String name, URI location, long size) {
}
