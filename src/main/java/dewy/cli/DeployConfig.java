package dewy.cli;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Pull deploys ({@code --registry} and what goes with it). Absent from {@link Config} when no registry is given:
 * dewy is then a plain init and supervisor.
 *
 * @param registry        {@code ghr://OWNER/REPO?...}, {@code gs://BUCKET/PREFIX?...} or {@code file:///DIR?...},
 *                        checked by dewy.deploy.Registry
 * @param interval        time between the end of one check and the start of the next
 * @param workdir         holds {@code releases/} and the {@code current} symlink
 * @param keepReleases    unpacked releases kept, the current one included
 * @param beforeHook      {@code sh -c} command before unpacking; failing aborts the deploy (null: none)
 * @param afterHook       {@code sh -c} command after the swap, before the restart; failing rolls back (null: none)
 * @param maxArtifactSize bytes a download may have; also caps what an archive may unpack to (4x)
 * @param slot            {@code --slot}: only tags whose build metadata is this (null: any)
 * @param calver          {@code --calver}: tags are calendar versions in this format (null: SemVer, or the URL's)
 * @param report          leave a shipping report in the registry after each deploy (not {@code --no-report})
 * @param mode            Go dewy's command, as the shipping report names it: {@code server}, or {@code assets} (no
 *                        application: current swaps and the hooks run, nothing starts)
 */
public record DeployConfig(String registry, Duration interval, Path workdir, int keepReleases, boolean requireChecksum,
                           String beforeHook, String afterHook, long maxArtifactSize, Duration downloadTimeout,
                           String slot, String calver, boolean report, String mode) {
}
