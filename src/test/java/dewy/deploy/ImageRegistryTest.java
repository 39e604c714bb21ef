package dewy.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageRegistryTest {
    @Test
    void dockerHubNamesAreNormalizedAsGoDewyDoes() {
        assertArrayEquals(new String[] {"registry-1.docker.io", "library/nginx"},
                ImageRegistry.normalizeDockerHub("docker.io", "nginx"));
        assertArrayEquals(new String[] {"registry-1.docker.io", "library/nginx"},
                ImageRegistry.normalizeDockerHub("index.docker.io", "nginx"));
        assertArrayEquals(new String[] {"registry-1.docker.io", "linyows/dewy"},
                ImageRegistry.normalizeDockerHub("docker.io", "linyows/dewy"));
        assertArrayEquals(new String[] {"ghcr.io", "app"}, ImageRegistry.normalizeDockerHub("ghcr.io", "app"));
        assertEquals("registry-1.docker.io/library/redis",
                ImageRegistry.parse("img://docker.io/redis", Map.of(), null, null).repository());
    }

    @Test
    void badUrlsAreOneLineErrors() {
        for (String[] c : new String[][] {
                {"img://", "want img://REGISTRY/REPOSITORY (a registry host and a repository path)"},
                {"img://ghcr.io", "want img://REGISTRY/REPOSITORY (a registry host and a repository path)"},
                {"img://ghcr.io/", "want img://REGISTRY/REPOSITORY (a registry host and a repository path)"},
                {"img://ghcr.io/Org/App", "\"Org/App\" is not a repository name"},
                {"img://ghcr.io/org/app?artifact=x", "artifact= is for release archives, not images"},
                {"img://ghcr.io/org/app?pre-release=yes", "pre-release= wants true or false"},
                {"img://ghcr.io/org/app?tag=x", "unknown parameter \"tag\""}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImageRegistry.parse(c[0], Map.of(), null, null), c[0]);
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void aSlotIsRefusedSinceImageTagsCannotHoldBuildMetadata() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageRegistry.parse("img://ghcr.io/org/app", Map.of(), null, "blue"));
        assertEquals("--slot blue: image tags cannot carry build metadata (+blue); use one repository per slot",
                e.getMessage());
    }

    @Test
    void nextLinksAsRfc8288() {
        assertEquals("/v2/a/tags/list?n=2&last=b",
                ImageRegistry.nextLink("</v2/a/tags/list?n=2&last=b>; rel=\"next\""));
        assertEquals("https://r/next", ImageRegistry.nextLink("</prev>; rel=\"prev\", <https://r/next>; rel=\"next\""));
        assertNull(ImageRegistry.nextLink("</prev>; rel=\"prev\""));
        assertNull(ImageRegistry.nextLink(null));
    }

    @Test
    void bearerChallenges() {
        assertEquals(Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io", "scope",
                        "repository:library/nginx:pull,push"),
                ImageRegistry.challengeParams("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                        + "scope=\"repository:library/nginx:pull,push\""));
    }
}
