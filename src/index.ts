import { buildApp } from "./app";

export { ActivityObject } from "./objects/ActivityObject";
export { FeedObject } from "./objects/FeedObject";
export { UserObject } from "./objects/UserObject";

export default buildApp() satisfies ExportedHandler<Env>;
