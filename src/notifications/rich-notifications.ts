import type { NewSubscription } from "../objects/subscription-records";
import type { changeNotifier } from "./change-notifications";
import { encryptContent } from "./encrypted-content";
import { validationToken } from "./validation-tokens";

type ChangeNotification = ReturnType<ReturnType<typeof changeNotifier>>;

/**
 * A rich notification POST's body (includeResourceData): each change of a live activity carries
 * the activity's Graph JSON as Graph encrypts it (encryptedContent, for the subscription's
 * certificate), and the POST carries a validationToken the service signed for the subscribing app.
 * A deletion carries no content: there is none left.
 */
export async function richBody(
  env: Env,
  subscription: NewSubscription,
  notifications: ChangeNotification[],
  resourceOf: (activityId: string) => string | null,
) {
  const value = await Promise.all(
    notifications.map(async (notification) => {
      const resource = notification.changeType === "deleted" ? null : resourceOf(notification.resourceData.id);
      if (resource === null) return notification;
      const encryptedContent = await encryptContent(resource, subscription.encryptionCertificate!, subscription.encryptionCertificateId!);
      return { ...notification, encryptedContent };
    }),
  );
  const token = await validationToken({
    env,
    issuer: subscription.issuer,
    audience: subscription.applicationId,
    tenantId: subscription.tenantId,
  });
  return { value, validationTokens: [token] };
}
