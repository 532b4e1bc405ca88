//! Owned records of the fake's world.
//!
//! Seeded records are generated on demand into these structs (reusing their buffers, see
//! `seed.rs`); records that were changed or created live in a tenant's overlay (`store.rs`) as the
//! same structs, so one renderer serves both.

use crate::time::Stamp;

/// Fills `slot` with `text`, reusing its allocation (seeding refills scratch records per row).
pub fn set_text(slot: &mut Option<String>, text: &str) {
    match slot {
        Some(s) => {
            s.clear();
            s.push_str(text);
        }
        None => *slot = Some(text.to_owned()),
    }
}

/// Gives `slot` an empty string (reusing its allocation) and returns it for writing.
pub fn text_slot(slot: &mut Option<String>) -> &mut String {
    let s = slot.get_or_insert_with(String::new);
    s.clear();
    s
}

/// A customer address (`CustomerAddressModel`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    /// Address id.
    pub id: i64,
    /// False once deactivated.
    pub is_active: bool,
    /// Billing address.
    pub is_billing: bool,
    /// Physical address.
    pub is_physical: bool,
    /// Shipping address.
    pub is_shipping: bool,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Street.
    pub line_1: Option<String>,
    /// Extra line.
    pub line_2: Option<String>,
    /// Extra line.
    pub line_3: Option<String>,
    /// Extra line (county).
    pub line_4: Option<String>,
    /// City.
    pub locality: Option<String>,
    /// ZIP.
    pub postcode: Option<String>,
    /// State.
    pub region: Option<String>,
}

/// A customer contact (`CustomerContactModel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Contact id.
    pub id: i64,
    /// Name.
    pub name: Option<String>,
    /// Comma-separated emails.
    pub email: Option<String>,
    /// Fax.
    pub fax: Option<String>,
    /// Phone.
    pub number: Option<String>,
    /// `notify_on_acknowledged_request`.
    pub notify_acknowledged: bool,
    /// `notify_on_completed_request`.
    pub notify_completed: bool,
    /// `notify_on_dispatched_request`.
    pub notify_dispatched: bool,
    /// `notify_on_failed_request`.
    pub notify_failed: bool,
    /// `notify_on_new_request`.
    pub notify_new: bool,
}

/// Customer-level data shared by all of a customer's location profiles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    /// Customer id.
    pub id: i64,
    /// Name (1..64).
    pub name: String,
    /// Parent customer.
    pub parent_id: Option<i64>,
    /// Created.
    pub created_on: Stamp,
    /// Last change.
    pub last_updated_on: Stamp,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// Contacts.
    pub contacts: Vec<Contact>,
}

impl Default for Stamp {
    fn default() -> Self {
        crate::time::SAMPLE_EPOCH
    }
}

/// A customer's profile at one location (the location-level half of
/// `DispatchCustomerLocationModel`, i.e. `DispatchCustomerSettingsModel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Customer id.
    pub customer_id: i64,
    /// Location id.
    pub location_id: i64,
    /// Account number 1.
    pub account_number_1: Option<String>,
    /// Account number 2.
    pub account_number_2: Option<String>,
    /// False once deactivated at this location.
    pub is_active: bool,
    /// Commercial or private.
    pub is_commercial: Option<bool>,
    /// Free note.
    pub note: Option<String>,
    /// Reference number.
    pub reference_number: Option<String>,
    /// Renewal date.
    pub renewal_date: Option<Stamp>,
    /// Sales rep name.
    pub sales_rep: Option<String>,
    /// Sales rep id.
    pub sales_rep_id: Option<String>,
    /// Suspension id.
    pub suspension_id: Option<i64>,
    /// Created.
    pub created_on: Stamp,
    /// Last change.
    pub last_updated_on: Stamp,
}

/// A truck (`TruckModel`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truck {
    /// Truck id.
    pub id: i64,
    /// Location.
    pub location_id: i64,
    /// Assigned driver.
    pub driver_id: Option<i64>,
    /// `#RRGGBB`.
    pub interface_color: Option<String>,
    /// Name.
    pub name: String,
    /// Notes.
    pub notes: String,
    /// Out of service.
    pub out_of_service: bool,
    /// Require odometer.
    pub require_odometer: bool,
    /// Owning third-party hauler.
    pub third_party_hauler_id: Option<String>,
    /// Trailer.
    pub trailer_id: Option<i64>,
    /// Kind ("Rolloff", ...).
    pub kind: String,
    /// Empty weight.
    pub weight: f64,
}

/// A job (`JobModel` scalars; nested objects are looked up when rendering).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// Location.
    pub location_id: i64,
    /// Customer.
    pub customer_id: Option<i64>,
    /// Customer address the job is at.
    pub address_id: Option<i64>,
    /// Job type code (D, L, E, P, R).
    pub kind: String,
    /// Asset on site.
    pub asset_id: Option<i64>,
    /// Asset dropped.
    pub asset_dropped_id: Option<i64>,
    /// Asset quantity.
    pub asset_quantity: Option<i64>,
    /// Asset type.
    pub asset_type_id: Option<i64>,
    /// Truck.
    pub truck_id: Option<i64>,
    /// Created by (user id).
    pub created_by: Option<i64>,
    /// Created by a driver.
    pub created_by_driver: Option<bool>,
    /// Created in the portal.
    pub created_with_portal: Option<bool>,
    /// Completed by.
    pub completed_by: Option<i64>,
    /// Notes.
    pub customer_notes: Option<String>,
    /// Notes.
    pub dispatcher_notes: Option<String>,
    /// Notes.
    pub driver_notes: Option<String>,
    /// Notes.
    pub invoice_notes: Option<String>,
    /// Flags.
    pub flags: Option<String>,
    /// Desired asset description.
    pub desired_asset_desc: Option<String>,
    /// Dispatch priority.
    pub dispatch_priority: Option<String>,
    /// Reference number.
    pub reference_number: Option<String>,
    /// Routes CSV.
    pub add_to_routes: Option<String>,
    /// Fail reason.
    pub fail_reason: Option<String>,
    /// Scale ticket.
    pub scale_ticket: Option<String>,
    /// Dropped asset number.
    pub dropped_number: Option<String>,
    /// Removed asset number.
    pub removed_number: Option<String>,
    /// Dump destination.
    pub dump_location_id: Option<i64>,
    /// Final destination.
    pub final_location_id: Option<i64>,
    /// Start destination.
    pub start_location_id: Option<i64>,
    /// Route dispatched by.
    pub dispatched_by_route: Option<i64>,
    /// Merged with route.
    pub merged_with_route_id: Option<i64>,
    /// Job group.
    pub job_group_id: Option<i64>,
    /// Pickup item.
    pub pickup_item: Option<i64>,
    /// Priority.
    pub priority: Option<i64>,
    /// Times failed.
    pub times_failed: Option<i64>,
    /// Times rolled over.
    pub times_rolled_over: Option<i64>,
    /// Third-party hauler.
    pub third_party_hauler_id: Option<String>,
    /// Boolean flags.
    pub do_confirm: Option<bool>,
    /// Ends at customer.
    pub ends_at_customer: Option<bool>,
    /// Starts at customer.
    pub starts_at_customer: Option<bool>,
    /// Acknowledged.
    pub is_acknowledged: bool,
    /// Completed.
    pub is_completed: bool,
    /// Declined.
    pub is_declined: bool,
    /// Deleted.
    pub is_deleted: bool,
    /// Failed.
    pub is_failed: bool,
    /// Paid.
    pub is_paid: bool,
    /// Separate from route list.
    pub is_separate_from_route_list: bool,
    /// Require image.
    pub require_image: Option<bool>,
    /// Require materials.
    pub require_materials: Option<bool>,
    /// Require signature.
    pub require_signature: Option<bool>,
    /// Require weights.
    pub require_weights: Option<bool>,
    /// Dates.
    pub requested_on: Option<Stamp>,
    /// Scheduled date.
    pub schedule_date: Option<Stamp>,
    /// Original schedule date.
    pub original_schedule_date: Option<Stamp>,
    /// Pickup date.
    pub pickup_date: Option<Stamp>,
    /// Desired window start.
    pub desired_start_time: Option<Stamp>,
    /// Desired window end.
    pub desired_end_time: Option<Stamp>,
    /// Dispatched.
    pub dispatched_on: Option<Stamp>,
    /// Confirmed.
    pub confirmed_on: Option<Stamp>,
    /// Started.
    pub started_on: Option<Stamp>,
    /// Arrived.
    pub arrived_on: Option<Stamp>,
    /// Arrived at destination.
    pub arrived_at_destination_on: Option<Stamp>,
    /// Departed.
    pub departed_on: Option<Stamp>,
    /// Dumped.
    pub dumped_on: Option<Stamp>,
    /// Weighed.
    pub weighed_on: Option<Stamp>,
    /// Completed.
    pub completed_on: Option<Stamp>,
    /// Created.
    pub created_on: Stamp,
    /// Last change.
    pub last_updated_on: Stamp,
}

/// A driver (`DriverModel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Driver {
    /// Driver id.
    pub id: i64,
    /// Location.
    pub location_id: i64,
    /// Name.
    pub name: String,
    /// Login name.
    pub username: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone_number: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP.
    pub zip: String,
    /// License.
    pub license_number: String,
    /// Third-party hauler.
    pub third_party_hauler_id: Option<String>,
    /// Permission flags (can_convert_to_group, can_create_requests, can_edit_requests,
    /// can_reposition_asset, disable_shift_tracking, is_deactivated).
    pub flags: [bool; 6],
}

/// A user (`UserModel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRec {
    /// User id.
    pub id: i64,
    /// Location (None for users created through the public endpoint).
    pub location_id: Option<i64>,
    /// Dispatcher id.
    pub dispatcher_id: Option<i64>,
    /// Roles (wire names).
    pub roles: Vec<String>,
    /// Third-party hauler.
    pub third_party_hauler_id: Option<String>,
    /// Identity id.
    pub uid: String,
    /// Login name.
    pub username: String,
}

/// A webhook (`WebhookModel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hook {
    /// Hook id.
    pub id: i64,
    /// Callback URL.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
    /// Signing secret.
    pub secret: Option<String>,
    /// Set by delete.
    pub deleted_at: Option<Stamp>,
    /// Last failed delivery.
    pub last_http_fail: Option<Stamp>,
    /// Last successful delivery.
    pub last_http_success: Option<Stamp>,
}

/// A driver chat message (`DriverChatMessageModel`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatMsg {
    /// Message id.
    pub id: i64,
    /// Text.
    pub text: String,
    /// Read.
    pub is_read: bool,
    /// Edited.
    pub is_edited: bool,
    /// Last edit.
    pub last_edited_on: Option<Stamp>,
    /// Sent.
    pub sent_on: Stamp,
    /// Sender (id, type).
    pub sender: (i64, String),
    /// Receiver (id, type).
    pub receiver: (i64, String),
}

/// A third-party hauler (`ThirdPartyHaulerModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hauler {
    /// UUID.
    pub id: String,
    /// Company name.
    pub name: String,
}

/// A hauler's connection to a tenant location (`ThirdPartyHaulerConnectionModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Hauler UUID.
    pub hauler_id: String,
    /// Tenant id.
    pub provider_id: i64,
    /// "Tenant - Location".
    pub provider_name: String,
    /// Location.
    pub location_id: i64,
    /// Approved.
    pub is_approved: bool,
    /// Approver.
    pub approved_by: Option<i64>,
    /// Approval date.
    pub approved_on: Option<Stamp>,
    /// Denial date.
    pub denied_on: Option<Stamp>,
    /// Request date.
    pub requested_on: Stamp,
}
